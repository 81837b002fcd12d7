# bpf_object(NAME SOURCE [HEADERS ...])
# Compiles SOURCE (a .bpf.c) with clang for the BPF target, generates NAME.skel.h with
# `bpftool gen skeleton`, and exposes an INTERFACE library NAME_skel that carries the skeleton's include
# directory and links libbpf. The kernel's BTF is not needed: vmlinux/x86/vmlinux.h is checked in.

find_program(BPF_CLANG NAMES clang clang-19 clang-16 clang-15 clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)

set(ZCTRACE_VMLINUX_DIR ${CMAKE_SOURCE_DIR}/vmlinux/x86)
set(ZCTRACE_BPF_TARGET_ARCH x86)

function(bpf_object name source)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(skel_dir ${CMAKE_CURRENT_BINARY_DIR}/skel)
  set(skel ${skel_dir}/${name}.skel.h)
  get_filename_component(src_dir ${source} DIRECTORY)
  file(GLOB bpf_headers ${src_dir}/*.h ${src_dir}/include/*.h)

  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_${ZCTRACE_BPF_TARGET_ARCH}
            -Wall -Werror -I${ZCTRACE_VMLINUX_DIR} -I${src_dir} -idirafter /usr/include
            -idirafter /usr/include/x86_64-linux-gnu -c ${source} -o ${obj}
    DEPENDS ${source} ${bpf_headers} ${ZCTRACE_VMLINUX_DIR}/vmlinux.h
    COMMENT "BPF ${name}.bpf.c"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${skel_dir}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})

  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${skel_dir} ${src_dir})
  if(ZCTRACE_STATIC)
    # The imported target names libbpf.so by its full path; a static link needs the archives, and libbpf.a
    # leaves libelf and zlib to the executable (pkg-config --static --libs libbpf).
    target_include_directories(${name}_skel INTERFACE ${LIBBPF_INCLUDE_DIRS})
    target_link_libraries(${name}_skel INTERFACE ${LIBBPF_STATIC_LIBRARIES})
  else()
    target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF)
  endif()
endfunction()
