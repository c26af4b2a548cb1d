from . import views_board, views_orders

app_name = "supervision"

urlpatterns = [*views_board.urlpatterns, *views_orders.urlpatterns]
