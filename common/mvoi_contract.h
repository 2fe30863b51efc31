/*  mvoi_contract: the wire contract that services, the gateway and mvoictl share, in one
 *  include. It owns every name that crosses a process boundary besides the protobuf
 *  schemas themselves:
 *
 *    mvoi_topic.h   the topic grammar: building and parsing the topics of every event
 *                   family and the keys of KPI totals (the only place they are spelled);
 *    mvoi_names.h   the stable text names of the wire enums (CLI, JSON, CSV, topics);
 *    mvoi_id.h      the id rules (what an id, a buyer or a key segment may contain).
 *
 *  No sockets, no storage: a tool links it with the generated protobuf code only.
 */
#ifndef MVOI_CONTRACT_H
#define MVOI_CONTRACT_H

#include "mvoi_id.h"
#include "mvoi_names.h"
#include "mvoi_topic.h"

#endif
