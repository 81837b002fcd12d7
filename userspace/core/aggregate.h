// Aggregation: the tracer's raw snapshot → the report every renderer reads. Applies the copy model
// to each path and replaces modelled figures with measured ones where the kernel reported events.
#pragma once

#include "report.h"
#include "snapshot.h"

namespace zctrace {

struct AggregateOptions {
  bool skb_copies_measured = false;  // skb:skb_copy_datagram_iovec attached
  bool cpu_copies_measured = false;  // precise mode: the kernel's copy functions are hooked (fentry/fexit)
  bool disk_measured = false;        // block:block_bio_queue and writeback:writeback_dirty_folio attached
  bool nic_tx_measured = false;      // net:net_dev_start_xmit attached
  bool major_faults_measured = false;
  // skb copies say which device their skb arrived on (skb_iif, classified NIC or virtual by the tracer's
  // device table): skb_copies attached and the table filled
  bool nic_rx_measured = false;
  // kTLS sockets say whether the NIC encrypts (the tls module's type was known at load): else software is
  // assumed
  bool ktls_mode_measured = false;
};

// A process's end from the kernel's task->exit_code, a wait status: the code it passed to exit, or the
// signal that ended it ("SIGKILL"; empty when it exited by itself).
void DecodeExitStatus(int status, int* code, std::string* signal);

Report Aggregate(const Snapshot& snapshot, const AggregateOptions& options);

// Of a copy figure's bytes, those measured.
uint64_t MeasuredBytes(const CopyFigure& c);

// Totals: a process's, two summed, and what changed from an earlier reading of the same.
Totals TotalsOf(const ProcessReport& proc);
Totals Add(const Totals& a, const Totals& b);
Totals Since(const Totals& now, const Totals& before);

}  // namespace zctrace
