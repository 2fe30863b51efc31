impactˆï™«ÅèŒ‘ ’!(ûĞê¶·3:req-9Bheerlen’È^
m-17heerlen
T-2026-001 *
2026-01-012
2026-01-31:leverancier@example.nl@R2026¢ÀÄW²±ïÿÿÿÿÿÿÿÿ cR-
co22026CO2emissiefactoren.nl"	diesel_b7R
	nox_stage2026(X2inkoop-zuid