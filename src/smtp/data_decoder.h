// Incremental decoder for message content: DATA (RFC 5321 §4.1.1.4, dot-terminated, with
// dot-unstuffing per §4.5.2) and BDAT chunks (RFC 3030, raw octets, no terminator).
//
// Invariants (the defence against SMTP smuggling):
//  - Only <CRLF>.<CRLF> ends DATA. A line start exists only after a real CRLF (or at the start
//    of the data), so "\n.\n", "\n.\r\n", "\r.\n", "\r\n.\n", "\r.\r\n" never end the data.
//  - A bare CR or bare LF anywhere marks the message as bad (it is consumed, then rejected).
//  - Memory is bounded: octets beyond max_size are counted and discarded, never stored.
//  - feed() consumes input up to and including the end marker and no further.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald::smtp {

inline constexpr std::size_t kMaxTextLine = 1000;  // RFC 5321 §4.5.3.1.6, incl. CRLF

enum DataProblem : unsigned {
  kTooBig = 1u << 0,       // more than max_size octets (after unstuffing)
  kBareNewline = 1u << 1,  // a CR not followed by LF, or a LF not preceded by CR
  kNulByte = 1u << 2,
  kLineTooLong = 1u << 3,  // a line longer than 1000 octets including CRLF
};

class DataDecoder {
 public:
  enum class Mode { dot_terminated, raw };
  DataDecoder(Mode mode, std::uint64_t max_size)
      : mode_(mode),
        max_size_(max_size),
        state_(mode == Mode::raw ? State::mid : State::line_start) {}

  // Consumes a prefix of `in`; returns the number of octets consumed. In dot_terminated mode
  // stops right after the end marker (then done() is true). Raw mode consumes everything.
  std::size_t feed(std::string_view in);
  // Raw mode: the last chunk has been fed. A pending CR becomes a bare CR; a message that does
  // not end with CRLF gets one appended (so the stored message is always CRLF-terminated).
  void finish();

  bool done() const { return done_; }
  unsigned problems() const { return problems_; }
  bool saw_8bit() const { return saw_8bit_; }
  std::uint64_t size() const { return size_; }  // decoded octets, including discarded ones
  const std::string& data() const { return data_; }
  std::string take_data() { return std::move(data_); }

 private:
  enum class State { line_start, dot, dot_cr, mid, cr };
  void emit(char c);
  void emit_run(std::string_view run);
  void end_line();
  void step(char c);

  Mode mode_;
  std::uint64_t max_size_;
  State state_;
  std::size_t line_length_ = 0;
  std::uint64_t size_ = 0;
  unsigned problems_ = 0;
  bool saw_8bit_ = false;
  bool done_ = false;
  std::string data_;
};

}  // namespace herald::smtp
