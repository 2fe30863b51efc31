/* csv_columns: which tender field a spreadsheet column holds, from its header text.
 *
 * Headers are matched case-insensitively on their ASCII letters and digits only, so
 * "Geraamde waarde (excl. btw)", "GERAAMDE WAARDE EXCL BTW" and "geraamde_waarde_excl_btw"
 * are one name ("geraamdewaardeexclbtw"). The alias list (csv_columns.c) holds the names
 * Dutch municipal calendars and TenderNed exports use, with their English counterparts;
 * extend it there, one line per field. A header that is none of them is not guessed at: the
 * import reports it as ignored (csv_import_t.ignored).
 *
 * Title and description are two fields: "Titel"/"Naam opdracht" is the title and
 * "Omschrijving"/"Beschrijving" the description; a sheet whose only name column is
 * "Omschrijving" uses it as the title (Dutch calendars often name the opdracht so). */
#ifndef CSV_COLUMNS_H
#define CSV_COLUMNS_H

enum {
    CSV_C_ID, CSV_C_TITLE, CSV_C_GROUP, CSV_C_KIND, CSV_C_CPV, CSV_C_VALUE, CSV_C_PUB,
    CSV_C_START, CSV_C_END, CSV_C_PL, CSV_C_PL_EMAIL, CSV_C_BH, CSV_C_BH_EMAIL, CSV_C_ADV,
    CSV_C_ADV_EMAIL, CSV_C_THEMES, CSV_C_SDGS, CSV_C_SROI, CSV_C_SROI_EXEMPT, CSV_C_PILOT,
    CSV_C_BUYER, CSV_C_STATUS, CSV_C_DESC, CSV_C_PROC, CSV_C_COUNT
};

/* The column of a header (CSV_C_*), or -1 when it is none of the aliases. */
int csv_column_of(const char *header);

/* The canonical name of a column ("value", "planned_publication"...). */
const char *csv_column_name(int col);

/* The Tender field a column states, as UpsertTenders.stated names it ("value_cents",
 * "project_leader.email"), or NULL for id, buyer and status (the key, the request's buyer,
 * and apply_status). The procedure column also states "procurement_method_details". */
const char *csv_column_field(int col);

/* The column a tender_rules field path ("tender.value_cents") comes from, or -1. */
int csv_field_column(const char *field);

#endif
