#include "links/probes/prober.hpp"

namespace lifeline::probes {

const char* to_string(ReplyStatus status) {
  switch (status) {
    case ReplyStatus::ok:
      return "ok";
    case ReplyStatus::bad_mac:
      return "bad MAC";
    case ReplyStatus::unknown_key:
      return "unknown key id";
    case ReplyStatus::wrong_session:
      return "wrong session (a replay from another run)";
    case ReplyStatus::malformed:
      return "malformed";
  }
  return "?";
}

}  // namespace lifeline::probes
