// RAII owners for the OS resources sharebench creates, and small OS helpers.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <utility>

namespace sharebench {

// Owns a file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// Owns a memory mapping.
class Mapping {
 public:
  Mapping() = default;
  Mapping(void* address, std::size_t size) : address_(address), size_(size) {}
  Mapping(Mapping&& other) noexcept
      : address_(std::exchange(other.address_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  Mapping& operator=(Mapping&& other) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { reset(); }

  // Anonymous MAP_SHARED memory, zero-filled: inherited by children forked afterwards.
  static Mapping shared_anonymous(std::size_t size);

  char* data() const { return static_cast<char*>(address_); }
  std::size_t size() const { return size_; }
  explicit operator bool() const { return address_ != nullptr; }
  void reset() noexcept;

 private:
  void* address_ = nullptr;
  std::size_t size_ = 0;
};

// A private directory (mode 0700, made by mkdtemp) for a run's sockets; removed with
// everything in it when the owner is destroyed.
class PrivateDir {
 public:
  PrivateDir() = default;
  // Creates /tmp/<prefix>-XXXXXX.
  explicit PrivateDir(const std::string& prefix);
  PrivateDir(PrivateDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  PrivateDir& operator=(PrivateDir&& other) noexcept;
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;
  ~PrivateDir() { reset(); }

  const std::string& path() const { return path_; }
  void reset() noexcept;

 private:
  std::string path_;
};

// Reads one byte of every 4 KiB page of [data, data + size). A forked process pays for the
// first touch of each page it inherited: a fault for a shared mapping, and even for private
// pages whose entries fork copied, a first access that on some VMs costs microseconds a page
// (an AMD EPYC VM here: a bare table read 2x slower for the first pass over the op plan, with
// no fault counted). A measured loop should not pay it, so processes that measure touch first.
void touch_pages(const void* data, std::size_t size);

// `bytes` random bytes from the kernel, as lowercase hex.
std::string random_hex(std::size_t bytes);

// Proportional set size of a process in KiB (from /proc/PID/smaps_rollup), or -1 if unreadable.
long pss_kib(pid_t pid);

}  // namespace sharebench
