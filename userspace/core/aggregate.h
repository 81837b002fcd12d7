// Aggregation: the tracer's raw snapshot → the report every renderer reads. Applies the copy model
// to each path and replaces modelled figures with measured ones where the kernel reported events.
#pragma once

#include "report.h"
#include "snapshot.h"

namespace zctrace {

struct AggregateOptions {
  bool skb_copies_measured = false;  // the skb:skb_copy_datagram_iovec probe was attached
};

Report Aggregate(const Snapshot& snapshot, const AggregateOptions& options);

}  // namespace zctrace
