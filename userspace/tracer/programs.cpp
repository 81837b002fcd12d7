#include "programs.h"

namespace zctrace {

int TracepointArgs(const btf* vmlinux, int typedef_id) {
  const btf_type* t = btf__type_by_id(vmlinux, static_cast<__u32>(typedef_id));
  if (!t || !btf_is_typedef(t))
    return -1;
  t = btf__type_by_id(vmlinux, t->type);
  if (!t || !btf_is_ptr(t))
    return -1;
  t = btf__type_by_id(vmlinux, t->type);
  if (!t || !btf_is_func_proto(t))
    return -1;
  return static_cast<int>(btf_vlen(t)) - 1;
}

}  // namespace zctrace
