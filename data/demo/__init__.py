"""Demo data: a plan of a fulfillment center's last 90 days (`plan`, from the
`catalogue`), booked into a real database through the use cases (`load`)."""
