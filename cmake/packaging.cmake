# Installation of everything that is not a binary, and the Debian package (CPack, DEB):
#   cpack -G DEB          (in the build directory, after the build) -> lifeline_<version>_<arch>.deb
# Binaries are installed by their own folders (controller/, reflector/, sim/, cli/); the
# package test (tests/package/deb_test.sh) checks every path, mode and control field.
#
# Paths follow Debian 12 (bookworm, merged /usr): units in /lib/systemd/system (what its
# systemd.pc says, and where dh_installsystemd puts them), sysusers.d and tmpfiles.d in
# /usr/lib. The unit names /usr/sbin/lifelined and /etc/lifeline, so the package installs with
# prefix /usr whatever CMAKE_INSTALL_PREFIX says; files under /etc are absolute for the same
# reason.

set(LIFELINE_SYSTEMD_UNITDIR "/lib/systemd/system" CACHE PATH
    "systemd system units (Debian 12: /lib/systemd/system; Debian 13: /usr/lib/systemd/system)")
set(LIFELINE_SYSUSERSDIR "/usr/lib/sysusers.d" CACHE PATH "sysusers.d configuration")
set(LIFELINE_TMPFILESDIR "/usr/lib/tmpfiles.d" CACHE PATH "tmpfiles.d configuration")

set(_systemd ${PROJECT_SOURCE_DIR}/systemd)
install(FILES ${_systemd}/lifelined.service ${_systemd}/lifeline-reflector.service
              ${_systemd}/lifeline-channel.service ${_systemd}/lifeline-mm-bridge@.service
        DESTINATION ${LIFELINE_SYSTEMD_UNITDIR})
install(FILES ${_systemd}/sysusers.d/lifeline.conf DESTINATION ${LIFELINE_SYSUSERSDIR})
install(FILES ${_systemd}/tmpfiles.d/lifeline.conf DESTINATION ${LIFELINE_TMPFILESDIR})

# The example configuration beside the real one, but never as the real one: a default
# /etc/lifeline/lifeline.yaml would name interfaces, gateways and keys of a lab base, and the
# daemon would start routing a real gateway by them. Without lifeline.yaml the service stays
# off until the operator has written one (docs/operator-guide.md).
install(FILES ${PROJECT_SOURCE_DIR}/config/examples/base-gateway.yaml
        DESTINATION /etc/lifeline RENAME lifeline.yaml.example)

# Documentation, examples (configs, a drop-in for the unit) and the simulator's scenarios.
file(GLOB _docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB _example_configs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/config/examples/*.yaml)
install(FILES ${_example_configs} ${_systemd}/lifelined.service.d/example-override.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# Prometheus alert rules (with their tests), an example scrape config, the Grafana dashboard.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/deploy)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/lab/scenarios/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lifeline/scenarios FILES_MATCHING PATTERN "*.yaml")

# ---- the .deb -------------------------------------------------------------------------
set(LIFELINE_PACKAGE_MAINTAINER "lifeline maintainers <lifeline@localhost>" CACHE STRING
    "Maintainer field of the .deb")

# `cpack` and `make install` install what is built and do not build it first: the package test
# runs under ctest, after the build, where a rebuild would swap binaries under running tests.
# Build, then package: cmake --build build && (cd build && cpack -G DEB).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lifeline)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "${LIFELINE_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "uplink failover for base gateways by per-class Linux policy routing")
# The extended description (CPack puts the summary above it).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"lifelined watches the health of every uplink of a base gateway (loss, latency,
jitter, with authenticated probes) and keeps each traffic class on a link fit for
it, by Linux policy routing; a class that fits nowhere fails closed.
.
Also: lifeline-reflector (the far end of the authenticated probes), lifeline-sim
(what-if scenarios in virtual time), the systemd units. Nothing is enabled on
install: write /etc/lifeline/lifeline.yaml first.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # lifeline_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# iproute2 (`ip`, and /etc/iproute2/rt_protos.d for "proto lifeline") and nftables (`nft`, to
# see `table inet lifeline`) are the operator's tools; procps has /bin/kill (ExecReload=). The
# libraries come from dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "iproute2, nftables, procps")
find_program(LIFELINE_DPKG_SHLIBDEPS dpkg-shlibdeps)
find_program(LIFELINE_FILE_PROGRAM file)  # CPack needs `file` to pick the binaries for it
if(LIFELINE_DPKG_SHLIBDEPS AND LIFELINE_FILE_PROGRAM)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  message(WARNING "dpkg-shlibdeps or file missing (scripts/setup.sh installs them): the .deb "
                  "will not depend on the shared libraries it needs")
endif()
# Binaries without debug info in the package (Debian policy); the build tree keeps them.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/cmake/deb/conffiles ${PROJECT_SOURCE_DIR}/cmake/deb/postinst
    ${PROJECT_SOURCE_DIR}/cmake/deb/prerm ${PROJECT_SOURCE_DIR}/cmake/deb/postrm)
# Maintainer scripts 0755 and conffiles 0644 in the package, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

# ---- tests ----------------------------------------------------------------------------
# Builds the .deb from this build tree (after the build) into a temporary directory and checks
# it without installing anything on the host: contents, modes, control fields, conffiles,
# maintainer scripts run against a throwaway root, the binaries run from it, the units pass
# `systemd-analyze verify` and `security` (exposure <= 2.0).
if(LIFELINE_TESTS)
  add_test(NAME package.deb COMMAND ${PROJECT_SOURCE_DIR}/tests/package/deb_test.sh
           ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR} ${PROJECT_VERSION})
  set_tests_properties(package.deb PROPERTIES LABELS cli TIMEOUT 600)
endif()
