// libFuzzer target: the config loader must turn any bytes into a Config or diagnostics,
// never crash, hang or leak. Built with clang-14 -fsanitize=fuzzer,address,undefined.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = lifeline::config::load_config_text(text, "fuzz.yaml");
  // Either a config or at least one diagnostic, never both, never neither.
  if (result.config.has_value() == !result.errors.empty()) __builtin_trap();
  for (const auto& e : result.errors) {
    if (e.message.empty()) __builtin_trap();
  }
  return 0;
}
