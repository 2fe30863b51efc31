prefix=kpi.co2.&view=upcoming
