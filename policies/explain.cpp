#include "policies/explain.hpp"

#include <cmath>

namespace lifeline::policy {
namespace {

std::string thresholds_text(const links::LinkMetrics& m, const links::Thresholds& t) {
  std::string out;
  auto add = [&out](const std::string& s) { out += (out.empty() ? "" : ", ") + s; };
  if (t.rtt && m.srtt > *t.rtt)
    add("rtt " + format_duration(m.srtt) + " > " + format_duration(*t.rtt));
  if (t.jitter && m.jitter > *t.jitter) {
    add("jitter " + format_duration(m.jitter) + " > " + format_duration(*t.jitter));
  }
  if (t.loss && m.loss > *t.loss)
    add("loss " + format_percent(m.loss) + " > " + format_percent(*t.loss));
  return out.empty() ? "not yet stable within its limits" : out;
}

const ModelClass* class_of(const PolicyModel& model, const Decision& decision, const Rejection& r) {
  // Find the class that owns this rejection, to report against its merged thresholds.
  const auto index = static_cast<std::uint32_t>(&r - decision.rejections.data());
  for (std::size_t c = 0; c < decision.classes.size(); ++c) {
    const auto& d = decision.classes[c];
    if (index >= d.rejections_begin && index < d.rejections_begin + d.rejections_count) {
      return &model.classes[c];
    }
  }
  return nullptr;
}

const Rejection* find_rejection(const Decision& decision, std::size_t ci, std::uint16_t link) {
  const auto& d = decision.classes[ci];
  for (std::uint32_t i = 0; i < d.rejections_count; ++i) {
    const auto& r = decision.rejections[d.rejections_begin + i];
    if (r.link == link) return &r;
  }
  return nullptr;
}

std::string ordinal(std::size_t n) {
  static const char* kSuffix[] = {"th", "st", "nd", "rd"};
  const std::size_t last = n % 10;
  const char* suffix = (n % 100 >= 11 && n % 100 <= 13) || last > 3 ? "th" : kSuffix[last];
  return std::to_string(n) + suffix;
}

}  // namespace

std::string target_name(const PolicyModel& model, Target target) {
  switch (target.kind) {
    case TargetKind::none:
      return "none";
    case TargetKind::link:
      return model.links[target.link].name;
    case TargetKind::blackhole:
      return "blackhole";
    case TargetKind::main:
      return "main";
  }
  return "?";
}

std::string rejection_text(const PolicyModel& model, std::span<const LinkInput> links,
                           const Decision& decision, const Rejection& r, bool detail) {
  const auto& name = model.links[r.link].name;
  const auto& in = links[r.link];
  switch (r.why) {
    case Reject::down:
      return name + " down" +
             (detail && !in.status->reason.empty() ? " (" + in.status->reason + ")" : "");
    case Reject::drained:
      return name + " drained" +
             (in.admin.drain_reason.empty() ? "" : " (" + in.admin.drain_reason + ")");
    case Reject::underlay: {
      const auto& u = model.links[r.other].name;
      return name + " rides over " + u + ", which is " +
             links::to_string(links[r.other].status->health);
    }
    case Reject::risk_group:
      return name + " shares a risk group with " + model.links[r.other].name + ", which is down";
    case Reject::suppressed: {
      const auto& damp = decision.state.dampening[r.link];
      return name + " suppressed by flap dampening (penalty " +
             std::to_string(static_cast<long>(std::lround(damp.penalty))) + " > reuse " +
             std::to_string(static_cast<long>(model.dampening.reuse)) + ")";
    }
    case Reject::thresholds: {
      const ModelClass* cls = class_of(model, decision, r);
      links::Thresholds t;
      if (cls) {
        for (std::size_t p = 0; p < cls->links.size(); ++p) {
          if (cls->links[p] == r.link) t = cls->thresholds[p];
        }
      }
      return name + " outside limits: " + thresholds_text(in.status->metrics, t);
    }
    case Reject::untrusted:
      return name + " not attested (" + links::to_string(in.trust) + ")";
    case Reject::quarantined:
      return name + " quarantined" +
             (detail && !in.admin.quarantine_until_text.empty() ? " until " + in.admin.quarantine_until_text : "") +
             (in.admin.quarantine_reason.empty() ? "" : ": " + in.admin.quarantine_reason);
    case Reject::capacity:
      return name + " has " + format_rate(r.free) + " free";
    case Reject::not_listed:
      return name + " is not in the class's links";
    case Reject::none:
      break;
  }
  return name + " fit";
}

std::string reason_text(const PolicyModel& model, std::span<const LinkInput> links,
                        const Decision& decision, std::size_t ci) {
  const ClassDecision& d = decision.classes[ci];
  const ModelClass& cls = model.classes[ci];
  const std::string target = target_name(model, d.target);
  auto previous_rejection = [&]() -> std::string {
    if (d.previous.kind != TargetKind::link) return {};
    if (const Rejection* r = find_rejection(decision, ci, d.previous.link)) {
      return rejection_text(model, links, decision, *r);
    }
    return model.links[d.previous.link].name + " no longer listed";
  };
  switch (d.why) {
    case Why::initial:
      return target + " is the first fit link";
    case Why::preferred:
      return target + " is the first fit link";
    case Why::failover:
      return previous_rejection() + "; " + target + " is the next fit link";
    case Why::failback:
      return target + " fit for " + format_duration(cls.failback) + " (failback)";
    case Why::holding:
      return "staying until failback hold-down ends";
    case Why::no_preempt:
      return "staying: preempt is false";
    case Why::pinned:
      return "pinned by operator";
    case Why::restored:
      return target + " fit again";
    case Why::none_fit: {
      std::string text = "no listed link fits";
      const auto before = previous_rejection();
      if (!before.empty()) text = before + "; " + text;
      return text +
             (d.target.kind == TargetKind::blackhole ? " (fail closed)" : " (ordinary routes)");
    }
  }
  return {};
}

std::vector<std::string> explain(const PolicyModel& model, std::span<const LinkInput> links,
                                 const Decision& decision, std::size_t ci) {
  std::vector<std::string> lines;
  const ClassDecision& d = decision.classes[ci];
  const ModelClass& cls = model.classes[ci];
  lines.push_back(cls.name + " -> " + target_name(model, d.target) + " (" + to_string(d.why) +
                  "): " + reason_text(model, links, decision, ci));
  if (d.pin_reject != Reject::none) {
    lines.push_back("pin not honoured: " + std::string(to_string(d.pin_reject)));
  }
  for (std::size_t p = 0; p < cls.links.size(); ++p) {
    const auto l = cls.links[p];
    std::string line = ordinal(p + 1) + " " + model.links[l].name + ": ";
    if (const Rejection* r = find_rejection(decision, ci, l)) {
      line += "rejected, " + rejection_text(model, links, decision, *r, true);
    } else if (d.target == Target::to_link(l)) {
      line += "chosen";
    } else {
      line += "fit";
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace lifeline::policy
