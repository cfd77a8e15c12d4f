#include "links/link_state.hpp"

namespace lifeline::links {

const char* to_string(Health health) {
  switch (health) {
    case Health::down:
      return "down";
    case Health::degraded:
      return "degraded";
    case Health::up:
      return "up";
  }
  return "?";
}

const char* to_string(Trust trust) {
  switch (trust) {
    case Trust::unattested:
      return "unattested";
    case Trust::attested:
      return "attested";
    case Trust::violating:
      return "violating";
  }
  return "?";
}

}  // namespace lifeline::links
