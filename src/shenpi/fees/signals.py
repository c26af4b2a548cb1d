"""What the fees app tells apps above it, sent inside the transaction that records it."""

from django.dispatch import Signal

# A payment recorded (sender=Payment, payment=…, charge=…): a receiver's failure rolls the payment back.
payment_recorded = Signal()
