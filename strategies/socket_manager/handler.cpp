#include "strategies/socket_manager/handler.hpp"

#include <cstring>

#include "common/hash_table.hpp"

namespace sharebench::socket_manager {

void Handler::handle(std::span<const std::string_view> frames, std::string& out, bool length_prefix,
                     std::vector<std::size_t>* reply_ends) {
  if (decoded_.size() < frames.size()) decoded_.resize(frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    Decoded& d = decoded_[i];
    d.request = Request{};  // a frame that does not decode leaves the empty key, to hash
    d.error = decode_request(frames[i], d.request);
  }
  apply_prefetched(
      dictionary_, frames.size(), [this](std::size_t i) { return decoded_[i].request.key; },
      [&](std::size_t i, std::uint64_t hash) {
        const std::size_t at = out.size();
        if (length_prefix) out.append(4, '\0');
        reply(decoded_[i], hash, out);
        if (length_prefix) {
          const auto size = static_cast<std::uint32_t>(out.size() - at - 4);
          std::memcpy(out.data() + at, &size, 4);
        }
        if (reply_ends != nullptr) reply_ends->push_back(out.size());
      });
}

void Handler::reply(const Decoded& d, std::uint64_t hash, std::string& out) {
  const Request& r = d.request;
  if (!d.error.empty()) {
    ++bad_frames_;
    encode_reply(out, {WireStatus::error, r.id, d.error});
    return;
  }
  switch (r.op) {
    case WireOp::get: {
      std::string_view value;
      if (dictionary_.get(r.key, hash, value)) {
        encode_reply(out, {WireStatus::found, r.id, value});
      } else {
        encode_reply(out, {WireStatus::absent, r.id, {}});
      }
      return;
    }
    case WireOp::put:
      dictionary_.put(r.key, hash, r.value);
      encode_reply(out, {WireStatus::done, r.id, {}});
      return;
    case WireOp::add: {
      std::int64_t delta = 0, value = 0;
      decode_int64(r.value, &delta);
      if (!dictionary_.add(r.key, hash, delta, value)) {
        encode_reply(out, {WireStatus::error, r.id, "add on a key whose value is not an 8-byte counter"});
      } else {
        encode_reply(out, {WireStatus::done, r.id, encode_int64(value)});
      }
      return;
    }
    case WireOp::hello: {
      const Dataset& initial = dictionary_.initial();
      const DatasetFacts facts = initial.facts();
      std::string value;
      for (const std::uint64_t word : {initial.digest(), facts.keys, facts.value_size, facts.counters}) {
        value += encode_int64(static_cast<std::int64_t>(word));
      }
      encode_reply(out, {WireStatus::done, r.id, value + facts.workload});
      return;
    }
    case WireOp::reset:
      dictionary_.reset();
      encode_reply(out, {WireStatus::done, r.id, {}});
      return;
  }
}

}  // namespace sharebench::socket_manager
