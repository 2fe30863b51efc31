2r1Bheerlen¢$
"
T-9Groenonderhoud(8À–±r