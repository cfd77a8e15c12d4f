// The name `ip` shows for lifelined's route protocol: iproute2 reads every *.conf file in
// /etc/iproute2/rt_protos.d/, so `ip route` prints "proto lifeline" instead of "proto 76" and
// an operator can write `ip route show proto lifeline`. Installed by CMake from
// controller/netlink/lifeline.conf (a unit test keeps the two equal).
#pragma once

#include <string_view>

#include "controller/routing.hpp"

namespace lifeline::netlink {

inline constexpr std::string_view kRtProtosFileName = "lifeline.conf";
inline constexpr std::string_view kRtProtosDir = "iproute2/rt_protos.d";  // under sysconfdir
inline constexpr std::string_view kRtProtosConf =
    "# lifelined's route protocol: it changes and removes only routes and rules carrying it\n"
    "76\tlifeline\n";
static_assert(routing::kRouteProtocol == 76, "kRtProtosConf names the protocol number");

}  // namespace lifeline::netlink
