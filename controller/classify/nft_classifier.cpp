#include "controller/classify/nft_classifier.hpp"

#include <nftables/libnftables.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "controller/classify/conntrack.hpp"
#include "controller/routing.hpp"

namespace lifeline::classify {
namespace {

struct NftCollected final : Classifier::Collected {
  conntrack::Collected found;
  std::size_t count(std::uint32_t mark) const override { return found.count(mark); }
};

// Mark 0 would be every unclassified flow; another upper half someone else's flows.
bool ours(const std::vector<std::uint32_t>& marks) {
  return std::all_of(marks.begin(), marks.end(), [](std::uint32_t mark) {
    return (mark & routing::kMarkMask) == routing::kMarkBase && mark != routing::kMarkBase;
  });
}

class NftClassifier final : public Classifier {
 public:
  std::string apply(const config::Config& config) override {
    return run_nft_transaction(render_ruleset(config));
  }

  Flushed flush_flows(const std::vector<std::uint32_t>& marks) override {
    if (!ours(marks)) return {-EINVAL, 0, 0};
    const auto r = conntrack::delete_by_marks(marks, {routing::kMarkBase, routing::kMarkMask});
    return {r.error, r.deleted, r.walks};
  }

  std::shared_ptr<const Collected> collect_flows(const std::vector<std::uint32_t>& marks) override {
    auto out = std::make_shared<NftCollected>();
    if (!ours(marks)) {
      out->error = -EINVAL;
      return out;
    }
    out->found = conntrack::collect(marks, {routing::kMarkBase, routing::kMarkMask});
    out->error = out->found.error;
    out->walks = out->found.walks;
    return out;
  }

  Flushed delete_flows(const Collected& flows, std::uint32_t mark, bool again) override {
    const auto* mine = dynamic_cast<const NftCollected*>(&flows);
    if (mine == nullptr || !ours({mark})) return {-EINVAL, 0, 0};
    const auto r = conntrack::delete_collected(mine->found, mark, again);
    return {r.error, r.deleted, 0};
  }

  std::optional<bool> installed() override {
    // Listing an absent table is an error; any other failure is reported as "unknown".
    const auto error = run_nft_transaction("list table inet lifeline");
    if (error.empty()) return true;
    if (error.find("No such file or directory") != std::string::npos) return false;
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<Classifier> make_nft_classifier() {
  return std::make_unique<NftClassifier>();
}

std::string run_nft_transaction(std::string_view nft_text) {
  // A fresh context per call: it binds its netlink socket to the caller's current network
  // namespace and carries no cache from an earlier call. Applying is rare (start, reload).
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (ctx == nullptr) return "cannot create an nftables context";
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  const std::string text(nft_text);  // libnftables wants a NUL-terminated buffer
  const int rc = nft_run_cmd_from_buffer(ctx, text.c_str());
  std::string error;
  if (rc != 0) {
    const char* message = nft_ctx_get_error_buffer(ctx);
    error = message != nullptr ? message : "";
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    if (error.empty()) error = "nft failed (exit " + std::to_string(rc) + ") without a message";
  }
  nft_ctx_free(ctx);
  return error;
}

}  // namespace lifeline::classify
