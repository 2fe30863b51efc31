/* csv_columns: see csv_columns.h. */
#include "csv_columns.h"

#include <stddef.h>
#include <string.h>

/* Header aliases, normalised: lower-case ASCII letters and digits only, '|' around each. */
static const struct {
    int col;
    const char *names;
} s_columns[] = {
    {CSV_C_ID, "|id|kenmerk|nummer|referentie|referentienummer|tenderid|kenmerkopdracht|"
               "opdrachtnummer|projectnummer|dossiernummer|zaaknummer|inkoopnummer|"
               "aanbestedingsnummer|tenderkenmerk|reference|"},
    {CSV_C_TITLE, "|titel|title|naam|name|naamopdracht|opdrachtnaam|titelopdracht|"
                  "naamaanbesteding|onderwerp|projectnaam|opdracht|"},
    {CSV_C_DESC, "|omschrijving|beschrijving|description|toelichting|korteomschrijving|"
                 "omschrijvingopdracht|opdrachtomschrijving|"},
    {CSV_C_GROUP, "|inkoopgroep|purchasinggroup|categorie|category|inkoopcategorie|"
                  "inkooppakket|productgroep|"},
    {CSV_C_KIND, "|soort|kind|soortopdracht|opdrachtsoort|type|typeopdracht|opdrachttype|"
                 "aardopdracht|hoofdcategorie|maincategory|"},
    {CSV_C_CPV, "|cpv|cpvcode|cpvcodes|hoofdcpv|hoofdcpvcode|"},
    {CSV_C_VALUE, "|waarde|value|waardeeur|valueeur|geraamdewaarde|raming|bedrag|estimatedvalue|"
                  "waardeexclbtw|geraamdewaardeexclbtw|geraamdewaardeeur|geraamdewaardeeurexclbtw|"
                  "geschattewaarde|geschattewaardeexclbtw|opdrachtwaarde|opdrachtwaardeexclbtw|"
                  "contractwaarde|contractwaardeexclbtw|totalewaarde|ramingexclbtw|"
                  "bedragexclbtw|begroting|estimatedvalueexclvat|valueexclvat|"},
    {CSV_C_PUB, "|publicatie|publicatiedatum|geplandepublicatie|geplandepublicatiedatum|"
                "publicatiedatumgepland|datumpublicatie|plannedpublication|publication|"
                "publicationdate|plannedpublicationdate|aankondiging|datumaankondiging|"
                "startaanbesteding|startprocedure|"},
    {CSV_C_START, "|start|contractstart|startdatum|ingangsdatum|begindatum|startdate|"
                  "startcontract|startdatumcontract|ingangsdatumcontract|aanvangsdatum|"},
    {CSV_C_END, "|einde|contractend|einddatum|contracteinde|end|enddate|einddatumcontract|"
                "eindecontract|"},
    {CSV_C_PL, "|projectleider|projectleader|"},
    {CSV_C_PL_EMAIL, "|projectleideremail|emailprojectleider|projectleaderemail|email|emailadres|"},
    {CSV_C_BH, "|budgethouder|budgetholder|"},
    {CSV_C_BH_EMAIL, "|budgethouderemail|emailbudgethouder|budgetholderemail|"},
    {CSV_C_ADV, "|adviseur|inkoopadviseur|procurementadviser|procurementadvisor|adviser|advisor|"
                "inkoper|"},
    {CSV_C_ADV_EMAIL, "|adviseuremail|emailadviseur|inkoopadviseuremail|emailinkoopadviseur|"
                      "procurementadviseremail|procurementadvisoremail|adviseremail|"
                      "advisoremail|emailinkoper|"},
    {CSV_C_THEMES, "|themas|themes|thema|theme|mvithemas|mvoithemas|"},
    {CSV_C_SDGS, "|sdgs|sdg|"},
    {CSV_C_SROI, "|sroi|sroipct|sroipercentage|socialreturn|socialreturnpercentage|"},
    {CSV_C_SROI_EXEMPT, "|sroiuitzondering|sroivrijstelling|sroiexemptreason|sroiexempt|"},
    {CSV_C_PILOT, "|pilot|"},
    {CSV_C_BUYER, "|buyer|organisatie|organisation|organization|opdrachtgever|"
                  "aanbestedendedienst|"},
    {CSV_C_STATUS, "|status|fase|statusopdracht|"},
    {CSV_C_PROC, "|procedure|aanbestedingsprocedure|procedurevorm|soortprocedure|"
                 "procurementmethod|"},
};

/* Canonical names, used when a field has no column of its own. */
static const char *s_colname[CSV_C_COUNT] = {
    "id", "title", "purchasing_group", "kind", "cpv", "value", "planned_publication",
    "contract_start", "contract_end", "project_leader", "project_leader_email",
    "budget_holder", "budget_holder_email", "procurement_adviser", "procurement_adviser_email",
    "themes", "sdgs", "sroi", "sroi_exempt_reason", "pilot", "buyer", "status", "description",
    "procedure",
};

/* The Tender fields of the columns (UpsertTenders.stated); NULL: not a stored field. */
static const char *s_colfield[CSV_C_COUNT] = {
    NULL, "title", "purchasing_group", "kind", "cpv", "value_cents", "planned_publication",
    "contract_start", "contract_end", "project_leader.name", "project_leader.email",
    "budget_holder.name", "budget_holder.email", "procurement_adviser.name",
    "procurement_adviser.email", "themes", "sdgs", "sroi_pct_bp", "sroi_exempt_reason", "pilot",
    NULL, NULL, "description", "procurement_method",
};

const char *csv_column_field(int col)
{
    return col >= 0 && col < CSV_C_COUNT ? s_colfield[col] : NULL;
}

const char *csv_column_name(int col)
{
    return col >= 0 && col < CSV_C_COUNT ? s_colname[col] : "";
}

int csv_column_of(const char *header)
{
    char key[72];
    size_t n = 1;
    key[0] = '|';
    for (const char *p = header; *p && n + 2 < sizeof key; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            key[n++] = c;
    }
    key[n++] = '|';
    key[n] = '\0';
    if (n == 2)
        return -1;
    for (size_t i = 0; i < sizeof s_columns / sizeof s_columns[0]; i++)
        if (strstr(s_columns[i].names, key))
            return s_columns[i].col;
    return -1;
}

int csv_field_column(const char *field)
{
    static const struct {
        const char *prefix;
        int col;
    } map[] = {
        {"tender.id", CSV_C_ID}, {"tender.title", CSV_C_TITLE}, {"tender.buyer", CSV_C_BUYER},
        {"tender.purchasing_group", CSV_C_GROUP}, {"tender.kind", CSV_C_KIND},
        {"tender.cpv", CSV_C_CPV}, {"tender.value_cents", CSV_C_VALUE},
        {"tender.planned_publication", CSV_C_PUB}, {"tender.contract_start", CSV_C_START},
        {"tender.contract_end", CSV_C_END}, {"tender.project_leader.email", CSV_C_PL_EMAIL},
        {"tender.project_leader", CSV_C_PL}, {"tender.budget_holder.email", CSV_C_BH_EMAIL},
        {"tender.budget_holder", CSV_C_BH}, {"tender.procurement_adviser.email", CSV_C_ADV_EMAIL},
        {"tender.procurement_adviser", CSV_C_ADV}, {"tender.themes", CSV_C_THEMES},
        {"tender.sdgs", CSV_C_SDGS}, {"tender.sroi_pct_bp", CSV_C_SROI},
        {"tender.sroi_exempt_reason", CSV_C_SROI_EXEMPT}, {"tender.status", CSV_C_STATUS},
        {"tender.description", CSV_C_DESC}, {"tender.procurement_method", CSV_C_PROC},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(field, map[i].prefix, strlen(map[i].prefix)) == 0)
            return map[i].col;
    return -1;
}
