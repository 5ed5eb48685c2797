// queue-passing's wire format: one fixed-capacity message per request or reply.
//
//   header (24 bytes, native byte order: both ends run on this host)
//     kind u8 | status u8 | reserved u16 (0) | worker u32 | key_size u32 | value_size u32 |
//     request_id u64
//   payload: key_size bytes of key, then value_size bytes of value
//
// A message carries only the bytes it uses; the queue's message size (its capacity) is fixed
// when the queue is created, from the dataset's longest key and value. A receiver decodes
// with the number of bytes it actually received and checks every length against it and
// against the capacity: a malformed message is reported, never trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "strategies/dataset.hpp"

namespace sharebench::queue_passing {

enum class MessageKind : std::uint8_t {
  get = 1,    // key -> reply: status ok + value, or absent
  put = 2,    // key, value -> no reply (one-way)
  add = 3,    // key, 8-byte delta -> reply: status ok + 8-byte new value, or not_a_counter
  stop = 4,   // from the coordinator: the owner exits after everything queued before it
  reply = 5,  // owner -> one worker
};

enum class Status : std::uint8_t {
  ok = 0,
  absent = 1,         // get: no such key
  not_a_counter = 2,  // add: the key holds a value that is not 8 bytes
  malformed = 3,      // the request was malformed and was not applied
};

struct MessageHeader {
  std::uint8_t kind;
  std::uint8_t status;
  std::uint16_t reserved;
  std::uint32_t worker;
  std::uint32_t key_size;
  std::uint32_t value_size;
  std::uint64_t request_id;
};
static_assert(sizeof(MessageHeader) == 24);

inline constexpr std::size_t kHeaderSize = sizeof(MessageHeader);
// The largest key + value a message may carry: a dataset needing more is refused, since
// every queue slot (and the request queue holds hundreds) is this big.
inline constexpr std::size_t kMaxPayload = 64 * 1024;
// Worker ids a request may carry (the runner allows 1024 workers, plus the checker).
inline constexpr std::uint32_t kMaxWorkers = 4096;

// Payload bytes a message must hold for a dataset: its longest key plus its longest value,
// or the 8 bytes of a counter if that is longer. No message needs more: a request carries a
// key and a value (or a delta), a reply carries one value.
std::size_t payload_capacity_for(std::size_t max_key_size, std::size_t max_value_size);

// Writes a message into `out` (room for kHeaderSize + key.size() + value.size()) and returns
// the number of bytes to send.
std::size_t encode(char* out, MessageKind kind, Status status, std::uint32_t worker,
                   std::uint64_t request_id, std::string_view key, std::string_view value);

// A decoded message: views into the receive buffer.
struct Message {
  MessageKind kind = MessageKind::get;
  Status status = Status::ok;
  std::uint32_t worker = 0;
  std::uint64_t request_id = 0;
  std::string_view key;
  std::string_view value;
};

enum class Malformed : std::uint8_t {
  none = 0,
  too_short,       // fewer bytes than a header
  sizes_disagree,  // key_size + value_size differ from the bytes received
  too_large,       // more payload than the queue's capacity
  bad_kind,        // not a request kind (or not a reply, for a reply)
  bad_worker,      // worker id out of range
  bad_fields,      // status/reserved set, or sizes wrong for the kind (a get with a value...)
};
const char* describe(Malformed why);

// Decodes what the owner received. On anything but Malformed::none, `out` holds whatever of
// the header could be read (worker and request id, to address an error reply) and nothing
// else may be used.
Malformed decode_request(const char* data, std::size_t received, std::size_t payload_capacity,
                         Message& out);
// Decodes what a worker received from the owner.
Malformed decode_reply(const char* data, std::size_t received, std::size_t payload_capacity,
                       Message& out);

}  // namespace sharebench::queue_passing
