// A policy under test: a config from YAML, its compiled model, hand-set link states, and
// the decision state carried from call to call as the daemon carries it.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "policies/explain.hpp"
#include "policies/policy_engine.hpp"

namespace lifeline::testing {

class PolicyFixture {
 public:
  // `adjust` may change the loaded config before it is compiled (for fields that have no
  // YAML key yet).
  explicit PolicyFixture(const std::string& yaml,
                         const std::function<void(config::Config&)>& adjust = {}) {
    auto loaded = config::load_config_text(yaml, "policy.yaml");
    for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
    config_ = *loaded.config;
    if (adjust) adjust(config_);
    model_ = policy::PolicyModel::compile(config_);
    engine_ = std::make_unique<policy::PolicyEngine>(model_);
    status_.resize(model_.links.size());
    inputs_.resize(model_.links.size());
    for (std::size_t l = 0; l < status_.size(); ++l) {
      status_[l].meets.resize(model_.watches[l].size());
      status_[l].health = links::Health::up;
      inputs_[l].status = &status_[l];
    }
    pins_.resize(model_.classes.size());
    state_ = policy::PolicyState::initial(model_);
  }

  links::LinkStatus& link(const std::string& name) { return status_.at(index(name)); }
  policy::LinkInput& input(const std::string& name) { return inputs_.at(index(name)); }
  std::size_t index(const std::string& name) const {
    const int i = model_.link_index(name);
    EXPECT_GE(i, 0) << name;
    return static_cast<std::size_t>(i);
  }
  std::size_t class_index(const std::string& name) const {
    const int i = model_.class_index(name);
    EXPECT_GE(i, 0) << name;
    return static_cast<std::size_t>(i);
  }
  void set(const std::string& name, links::Health health) {
    auto& s = link(name);
    if (health == links::Health::down && s.health != links::Health::down) ++s.downs;
    s.health = health;
  }
  void pin(const std::string& cls, const std::string& link, TimePoint until) {
    pins_[class_index(cls)] = policy::Pin{static_cast<std::uint16_t>(index(link)), until, "test"};
  }

  // Runs the engine at `now` and keeps its state for the next call.
  const policy::Decision& decide(TimePoint now) {
    last_ = engine_->decide(inputs_, pins_, std::move(state_), now);
    state_ = last_.state;
    return last_;
  }
  std::string target(const std::string& cls) const {
    return policy::target_name(
        model_, last_.classes.at(static_cast<std::size_t>(model_.class_index(cls))).target);
  }
  const policy::ClassDecision& decision(const std::string& cls) const {
    return last_.classes.at(static_cast<std::size_t>(model_.class_index(cls)));
  }
  std::string reason(const std::string& cls) const {
    return policy::reason_text(model_, inputs_, last_,
                               static_cast<std::size_t>(model_.class_index(cls)));
  }
  std::vector<std::string> explain(const std::string& cls) const {
    return policy::explain(model_, inputs_, last_,
                           static_cast<std::size_t>(model_.class_index(cls)));
  }
  const policy::PolicyModel& model() const { return model_; }
  const policy::Decision& last() const { return last_; }

 private:
  config::Config config_;
  policy::PolicyModel model_;
  std::unique_ptr<policy::PolicyEngine> engine_;
  std::vector<links::LinkStatus> status_;
  std::vector<policy::LinkInput> inputs_;
  std::vector<std::optional<policy::Pin>> pins_;
  policy::PolicyState state_;
  policy::Decision last_;
};

}  // namespace lifeline::testing
