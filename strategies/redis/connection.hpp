// One hiredis connection: RAII for the context and its replies, pipelining, deadlines, and
// errors as one-line messages. A connection is made after fork and never crosses one.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sharebench::redis {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// Where the server is: redis://HOST:PORT or unix:///PATH.
struct Address {
  std::string host;  // empty for a Unix socket
  int port = 6379;
  std::string path;
  std::string text;  // as the user wrote it, for messages
};
// Throws Error if `url` is neither form.
Address parse_redis_url(const std::string& url);

class Connection {
 public:
  // Connects within `timeout`; every later read or write waits at most `timeout` too.
  Connection(const Address& address, std::chrono::milliseconds timeout);
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  // Queues one command (binary-safe arguments); next_reply() returns the replies in order.
  void append(std::initializer_list<std::string_view> args);
  // Throws Error on a lost connection or a deadline; an error reply is returned, not thrown.
  Reply next_reply();
  // append + next_reply, throwing Error for an error reply too.
  Reply command(std::initializer_list<std::string_view> args);

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const { redisFree(c); }
  };
  std::unique_ptr<redisContext, ContextDeleter> context_;
  Address address_;
  std::chrono::milliseconds timeout_;
  std::vector<const char*> argv_;
  std::vector<std::size_t> lengths_;
};

}  // namespace sharebench::redis
