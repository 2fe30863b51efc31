impactˆï™«ÅèŒ‘ “!(ûÐê¶·3:req-9Bheerlen’Áb
m-17heerlen
T-2026-001 *
2026-01-012
2026-01-31:leverancier@example.nl@R2026Ú
lopendY²±ïÿÿÿÿÿÿÿÿ cHR-
co22026CO2emissiefactoren.nl"	diesel_b7R
	nox_stage2026(X