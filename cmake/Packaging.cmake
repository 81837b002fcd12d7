# Everything beside the two binaries that a user installs: man pages generated from the --help the binary
# prints (so the two cannot disagree), the bash completion, the deployment examples, the systemd unit, and a
# Debian package (CPack, DEB generator) with the copyright and changelog Debian wants (sources in packaging/).
# Included at the end of the top-level CMakeLists.txt, after the zctrace target exists.
#
#   cmake --build build                          # also builds build/zctrace.1, zctrace-demo.1, zctrace-check.1
#   cmake --install build --prefix /usr/local    # bin/, libexec/zctrace/, share/man/man1/, share/doc/, ...
#                                                # and the unit in ZCTRACE_SYSTEMD_UNIT_DIR (/lib/systemd/system)
#   cd build && cpack -G DEB                     # build/zctrace_<version>-<revision>_<arch>.deb

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

# --- Bash completion, systemd unit and deployment examples ------------------------------------------------
install(FILES ${CMAKE_SOURCE_DIR}/completions/zctrace.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME zctrace)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/docs/deploying.md
              ${CMAKE_SOURCE_DIR}/docs/json-schema.md ${CMAKE_SOURCE_DIR}/docs/overhead.md
              ${CMAKE_SOURCE_DIR}/docs/grafana-dashboard.json
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The unit template goes where systemd looks for the units of packages: systemd's pkg-config file says where
# (/lib/systemd/system on Debian 12, an absolute path that does not follow the prefix); without it,
# lib/systemd/system under the prefix.
pkg_get_variable(ZCTRACE_SYSTEMD_DEFAULT_UNIT_DIR systemd systemdsystemunitdir)
if(NOT ZCTRACE_SYSTEMD_DEFAULT_UNIT_DIR)
  set(ZCTRACE_SYSTEMD_DEFAULT_UNIT_DIR lib/systemd/system)
endif()
set(ZCTRACE_SYSTEMD_UNIT_DIR ${ZCTRACE_SYSTEMD_DEFAULT_UNIT_DIR} CACHE STRING
    "Where the systemd unit is installed (relative: under the prefix)")
install(FILES ${CMAKE_SOURCE_DIR}/docs/zctrace@.service DESTINATION ${ZCTRACE_SYSTEMD_UNIT_DIR})
# the JSON Schemas of every document zctrace writes, for pipelines to validate against
file(GLOB ZCTRACE_SCHEMAS ${CMAKE_SOURCE_DIR}/schemas/*.schema.json)
install(FILES ${ZCTRACE_SCHEMAS} DESTINATION ${CMAKE_INSTALL_DATADIR}/zctrace/schemas)

# --- Debian package ---------------------------------------------------------------------------------------
# What Debian policy requires of every package, in its doc directory: the copyright (machine-readable,
# DEP-5) and the changelog, compressed as lintian wants it (gzip -9, no name or timestamp: reproducible).
install(FILES ${CMAKE_SOURCE_DIR}/packaging/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
if(ZCTRACE_GZIP)
  set(ZCTRACE_CHANGELOG ${CMAKE_BINARY_DIR}/changelog.Debian)
  add_custom_command(
    OUTPUT ${ZCTRACE_CHANGELOG}.gz
    COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_SOURCE_DIR}/packaging/changelog ${ZCTRACE_CHANGELOG}
    COMMAND ${ZCTRACE_GZIP} -9nf ${ZCTRACE_CHANGELOG}
    DEPENDS ${CMAKE_SOURCE_DIR}/packaging/changelog
    COMMENT "Compressing the Debian changelog"
    VERBATIM)
  add_custom_target(debian_changelog ALL DEPENDS ${ZCTRACE_CHANGELOG}.gz)
  install(FILES ${ZCTRACE_CHANGELOG}.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})
else()
  message(WARNING "gzip not found: the Debian changelog will not be installed")
endif()
# What lintian reports that the package does on purpose, and why (the static workload, the unit's WantedBy=).
install(FILES ${CMAKE_SOURCE_DIR}/packaging/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME zctrace)

# The package's version comes from the changelog's latest entry, as in Debian: the upstream version (which
# must be the project's) and the Debian revision.
file(STRINGS ${CMAKE_SOURCE_DIR}/packaging/changelog ZCTRACE_CHANGELOG_TOP LIMIT_COUNT 1)
string(REGEX MATCH "^zctrace \\(([^)]+)-([^)-]+)\\)" ZCTRACE_CHANGELOG_VERSION "${ZCTRACE_CHANGELOG_TOP}")
set(ZCTRACE_DEBIAN_REVISION "${CMAKE_MATCH_2}")
if(NOT CMAKE_MATCH_1 STREQUAL PROJECT_VERSION)
  message(WARNING "packaging/changelog has no entry for version ${PROJECT_VERSION} on top: add one "
                  "(\"zctrace (${PROJECT_VERSION}-1) unstable; urgency=medium\")")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME zctrace)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE ${ZCTRACE_DEBIAN_REVISION})
set(CPACK_PACKAGE_VENDOR "zctrace")
# Whoever builds the package for others sets it: -DZCTRACE_PACKAGE_MAINTAINER="Name <email>". The default's
# .invalid domain is well-formed, as lintian requires, and reserved: it says nobody answers there.
set(ZCTRACE_PACKAGE_MAINTAINER "zctrace maintainers <maintainers@zctrace.invalid>"
    CACHE STRING "Maintainer field of the Debian package (Name <email>)")
set(CPACK_PACKAGE_CONTACT "${ZCTRACE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${ZCTRACE_PACKAGE_MAINTAINER}")
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
# The package installs under /usr whatever CMAKE_INSTALL_PREFIX the build tree was configured with, and
# through DESTDIR, so that an absolute destination (the unit's /lib/systemd/system) lands in the package too.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # zctrace_0.1.0-1_amd64.deb
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
# A static build is for the test VM (scripts/test-vm.sh): a Debian package links the shared libraries, and
# that build has no --prometheus. It makes no package.
if(ZCTRACE_STATIC)
  message(STATUS "ZCTRACE_STATIC: no Debian package (cpack) from this build")
else()
  include(CPack)
endif()
