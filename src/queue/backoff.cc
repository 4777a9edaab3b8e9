#include "queue/backoff.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace herald::queue {

RetryDecision backoff(std::uint32_t attempt, std::chrono::seconds age, double jitter_unit,
                      const RetryPolicy& policy) {
  using std::chrono::seconds;
  if (policy.schedule.empty()) std::abort();  // broken invariant: config validates the schedule

  if (age < seconds(0)) age = seconds(0);
  if (age >= policy.max_lifetime) return {true, seconds(0)};

  const std::size_t step = attempt == 0 ? 0 : attempt - 1;
  const seconds base = policy.schedule[std::min(step, policy.schedule.size() - 1)];

  // Uniform draw u in [0,1) -> factor in [1 - jitter, 1 + jitter).
  const double u = std::isnan(jitter_unit) ? 0.5 : std::clamp(jitter_unit, 0.0, 1.0);
  const double factor = 1.0 + policy.jitter * (2.0 * u - 1.0);
  const auto jittered = static_cast<seconds::rep>(std::llround(base.count() * factor));
  seconds delay{std::max<seconds::rep>(jittered, 1)};

  // The last attempt happens exactly when the lifetime ends (see backoff.h).
  const seconds remaining = policy.max_lifetime - age;
  if (delay > remaining) delay = remaining;
  return {false, delay};
}

}  // namespace herald::queue
