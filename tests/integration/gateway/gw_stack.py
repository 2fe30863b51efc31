"""The four real services behind a gateway test (calendar, impact-calculator, kpi-aggregator,
gateway) on the endpoints of mvoi_ports.free_ports: binary and environment of each, shared by
gateway_buyers.py and gateway_rebuild.py."""


def services(ep, http, gateway_extra=None):
    """{name: (binary relative to the build dir, its environment)}."""
    gateway = {
        "MVOI_GATEWAY_LISTEN": "127.0.0.1:%d" % http, "MVOI_GATEWAY_BUYER": "heerlen",
        "MVOI_GATEWAY_KPI_API": ep["kapi"], "MVOI_GATEWAY_KPI_PUB": ep["kpub"],
        "MVOI_GATEWAY_CALENDAR_API": ep["capi"], "MVOI_GATEWAY_IMPACT_API": ep["iapi"],
        "MVOI_GATEWAY_SSE_HEARTBEAT_MS": "300", "MVOI_GATEWAY_REPORT_API": ""}
    gateway.update(gateway_extra or {})
    return {
        "calendar": ("services/calendar/mvoi-calendar", {
            "MVOI_CALENDAR_API": ep["capi"], "MVOI_CALENDAR_PUB": ep["cpub"],
            "MVOI_CALENDAR_NOSYNC": "true"}),
        "impact": ("services/impact-calculator/mvoi-impact-calculator", {
            "MVOI_IMPACT_CALCULATOR_API": ep["iapi"], "MVOI_IMPACT_CALCULATOR_PUB": ep["ipub"],
            "MVOI_IMPACT_CALCULATOR_CALENDAR_API": ep["capi"],
            "MVOI_IMPACT_CALCULATOR_CALENDAR_PUB": ep["cpub"],
            "MVOI_IMPACT_CALCULATOR_NOSYNC": "true"}),
        "kpi": ("services/kpi-aggregator/mvoi-kpi-aggregator", {
            "MVOI_KPI_AGGREGATOR_API": ep["kapi"], "MVOI_KPI_AGGREGATOR_PUB": ep["kpub"],
            "MVOI_KPI_AGGREGATOR_CALENDAR_API": ep["capi"],
            "MVOI_KPI_AGGREGATOR_CALENDAR_PUB": ep["cpub"],
            "MVOI_KPI_AGGREGATOR_IMPACT_API": ep["iapi"],
            "MVOI_KPI_AGGREGATOR_IMPACT_PUB": ep["ipub"],
            "MVOI_KPI_AGGREGATOR_NOSYNC": "true", "MVOI_KPI_AGGREGATOR_HEARTBEAT_MS": "200"}),
        "gateway": ("services/gateway/mvoi-gateway", gateway),
    }
