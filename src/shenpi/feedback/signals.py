"""What the feedback app tells apps above it, sent inside the transaction that records it."""

from django.dispatch import Signal

# Ratings given (sender=Rating, ratings=[…]): one per case (一事一评) or window service (一次一评), and
# the defaults given to cases left unrated; a receiver's failure rolls them back.
rated = Signal()
