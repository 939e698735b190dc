#include "plugin/engine/message.h"

namespace vigil {

const char* to_string(AgeBand v) {
  switch (v) {
    case AgeBand::kAdult:
      return "adult";
    case AgeBand::kMinor:
      return "minor";
    case AgeBand::kUnknown:
      break;
  }
  return "unknown";
}

const char* to_string(Channel v) {
  switch (v) {
    case Channel::kDm:
      return "dm";
    case Channel::kGroup:
      return "group";
    case Channel::kPublic:
      return "public";
    case Channel::kUnknown:
      break;
  }
  return "unknown";
}

const char* to_string(Level v) {
  switch (v) {
    case Level::kWatch:
      return "watch";
    case Level::kReview:
      return "review";
    case Level::kUrgent:
      return "urgent";
    case Level::kNone:
      break;
  }
  return "none";
}

const char* to_string(Action v) {
  switch (v) {
    case Action::kNudge:
      return "nudge";
    case Action::kHold:
      return "hold";
    case Action::kEscalate:
      return "escalate";
    case Action::kAllow:
      break;
  }
  return "allow";
}

}  // namespace vigil
