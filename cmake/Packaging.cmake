# Everything beside the two binaries that a user installs: man pages generated from the --help the binary
# prints (so the two cannot disagree), the bash completion, the deployment examples, and a Debian package
# (CPack, DEB generator). Included at the end of the top-level CMakeLists.txt, after the zctrace target exists.
#
#   cmake --build build                          # also builds build/zctrace.1, zctrace-demo.1, zctrace-check.1
#   cmake --install build --prefix /usr/local    # bin/, share/man/man1/, share/bash-completion/, share/doc/
#   cd build && cpack -G DEB                     # build/zctrace_<version>_<arch>.deb

include(GNUInstallDirs)

# --- Man pages --------------------------------------------------------------------------------------------
# help2man runs the freshly built binary with --help and turns CLI11's option list into roff; the sections
# --help has no room for (examples, exit status, how to read the report, ...) come from docs/*.h2m. The
# subcommands get their own pages (zctrace-demo.1, zctrace-check.1), git-style, from `zctrace demo --help`
# and `zctrace check --help`.
find_program(ZCTRACE_HELP2MAN help2man)
find_program(ZCTRACE_GZIP gzip)

set(ZCTRACE_MAN_PAGES "")
if(ZCTRACE_HELP2MAN)
  # name: the page and its docs/NAME.h2m (zctrace, zctrace-demo, ...); summary: the NAME line;
  # subcommand: the word before --help ("" for zctrace itself).
  function(zctrace_man_page name summary subcommand)
    set(page ${CMAKE_BINARY_DIR}/${name}.1)
    set(include ${CMAKE_SOURCE_DIR}/docs/${name}.h2m)
    set(args --no-info --locale=C.UTF-8 --name=${summary} --include=${include} --output=${page}.tmp)
    if(subcommand)
      # `zctrace demo` has no --version of its own. help2man takes the page's name from the version string:
      # "zctrace-demo 0.1.0" titles the page ZCTRACE-DEMO(1) and names it zctrace-demo, git-style.
      list(APPEND args "--help-option=${subcommand} --help" "--version-string=${name} ${PROJECT_VERSION}")
    endif()
    # --locale: help2man's default is C, which turns the em dash of --help into '???'. The page is written
    # to a temporary file first: a failed run must not leave behind a broken page that make thinks is fresh.
    add_custom_command(
      OUTPUT ${page}
      COMMAND ${ZCTRACE_HELP2MAN} ${args} $<TARGET_FILE:zctrace>
      COMMAND ${CMAKE_COMMAND} -E rename ${page}.tmp ${page}
      DEPENDS zctrace ${include}
      COMMENT "Generating man page ${name}.1 with help2man"
      VERBATIM)
    set(installed ${page})
    if(ZCTRACE_GZIP)
      # Debian policy: man pages are installed gzip-compressed, without a timestamp (-n) for reproducibility.
      add_custom_command(
        OUTPUT ${page}.gz
        COMMAND ${ZCTRACE_GZIP} -9nf -k ${page}
        DEPENDS ${page}
        VERBATIM)
      set(installed ${page}.gz)
    endif()
    install(FILES ${installed} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
    set(ZCTRACE_MAN_PAGES ${ZCTRACE_MAN_PAGES} ${page} ${installed} PARENT_SCOPE)
  endfunction()

  zctrace_man_page(zctrace "trace how processes move bytes: CPU copies, DMA copies, mode switches per path"
                   "")
  zctrace_man_page(zctrace-demo "move one file by every transfer method under zctrace and compare the costs"
                   demo)
  zctrace_man_page(zctrace-check "fail a CI job when bulk transfers pay CPU copies" check)
  zctrace_man_page(zctrace-top "rank processes live by the bytes the CPU copies for them, per second" top)
  add_custom_target(man ALL DEPENDS ${ZCTRACE_MAN_PAGES})
else()
  message(WARNING "help2man not found: no man pages will be built or installed (scripts/install-deps.sh "
                  "installs it)")
endif()

# --- Bash completion and deployment examples --------------------------------------------------------------
install(FILES ${CMAKE_SOURCE_DIR}/completions/zctrace.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME zctrace)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/docs/deploying.md
              ${CMAKE_SOURCE_DIR}/docs/json-schema.md ${CMAKE_SOURCE_DIR}/docs/overhead.md
              ${CMAKE_SOURCE_DIR}/docs/grafana-dashboard.json ${CMAKE_SOURCE_DIR}/docs/zctrace@.service
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# the JSON Schemas of every document zctrace writes, for pipelines to validate against
file(GLOB ZCTRACE_SCHEMAS ${CMAKE_SOURCE_DIR}/schemas/*.schema.json)
install(FILES ${ZCTRACE_SCHEMAS} DESTINATION ${CMAKE_INSTALL_DATADIR}/zctrace/schemas)

# --- Debian package ---------------------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME zctrace)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "zctrace")
set(ZCTRACE_MAINTAINER "zctrace maintainers <zctrace@localhost>"
    CACHE STRING "Maintainer field of the Debian package (Name <email>)")
set(CPACK_PACKAGE_CONTACT "${ZCTRACE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${ZCTRACE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "eBPF tracer of CPU copies, DMA copies and mode switches per data path")
# Debian wants the extended description in lines of less than 80 characters.
set(CPACK_PACKAGE_DESCRIPTION
    "zctrace traces running processes (or a command and its children) with eBPF
and reports, for every path they move data on (method, source kind -> sink
kind), how many CPU copies, DMA copies and user/kernel mode switches it cost,
against the classic four-copy model (read+write, mmap+write, sendfile,
splice). Every figure is marked measured (kernel events) or modelled.
Reports as text, JSON, JSON lines or Prometheus metrics; `zctrace demo` runs
every transfer method side by side on this kernel, and `zctrace check` is a CI
gate on CPU copies. Needs a kernel with BTF, and root or CAP_BPF+CAP_PERFMON.")
# The package installs under /usr whatever CMAKE_INSTALL_PREFIX the build tree was configured with.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # zctrace_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# dpkg-shlibdeps finds what the binaries link, with versions: libbpf1, libc6, libstdc++6, libgcc-s1.
# libelf1 and zlib1g are libbpf's; without dpkg-shlibdeps, libbpf1 is named by hand.
find_program(ZCTRACE_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(ZCTRACE_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libelf1, zlib1g")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libbpf1, libelf1, zlib1g")
endif()
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion, prometheus")
set(CPACK_STRIP_FILES ON)
include(CPack)
