/*  The command groups of mvoictl besides "system": one line per cmd_<group>.c.
 *  Adding a group: declare its table here and add it to CTL_GROUP_LIST. */
#ifndef MVOI_CTL_GROUPS_H
#define MVOI_CTL_GROUPS_H

#define CTL_GROUP_LIST

#endif
