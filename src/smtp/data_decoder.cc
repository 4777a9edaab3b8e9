#include "smtp/data_decoder.h"

namespace herald::smtp {

void DataDecoder::emit(char c) {
  ++size_;
  if (size_ > max_size_) {
    problems_ |= kTooBig;
    return;
  }
  data_.push_back(c);
}

void DataDecoder::emit_run(std::string_view run) {
  size_ += run.size();
  if (size_ > max_size_) {
    problems_ |= kTooBig;
    std::uint64_t room = data_.size() < max_size_ ? max_size_ - data_.size() : 0;
    if (room > 0) data_.append(run.substr(0, room));
    return;
  }
  data_.append(run);
}

void DataDecoder::end_line() {
  line_length_ = 0;
  state_ = mode_ == Mode::dot_terminated ? State::line_start : State::mid;
}

// One octet of the state machine described in the header. Line length counts raw octets
// (before unstuffing), including the CRLF.
void DataDecoder::step(char ch) {
  unsigned char c = static_cast<unsigned char>(ch);
  ++line_length_;
  if (line_length_ > kMaxTextLine) problems_ |= kLineTooLong;
  if (c == 0) problems_ |= kNulByte;
  if (c >= 0x80) saw_8bit_ = true;
  switch (state_) {
    case State::line_start:
      if (c == '.') {
        state_ = State::dot;
        return;
      }
      state_ = State::mid;
      break;
    case State::dot:
      // The dot at a line start was stuffing (RFC 5321 §4.5.2): drop it.
      if (c == '\r') {
        state_ = State::dot_cr;
        return;
      }
      state_ = State::mid;
      break;
    case State::dot_cr:
      if (c == '\n') {
        done_ = true;
        return;
      }
      problems_ |= kBareNewline;  // ".\r" then something else
      emit('\r');
      state_ = State::mid;
      break;
    case State::cr:
      if (c == '\n') {
        emit('\r');
        emit('\n');
        end_line();
        return;
      }
      problems_ |= kBareNewline;
      emit('\r');
      state_ = State::mid;
      break;
    case State::mid:
      break;
  }
  // Mid-line octet (state_ == mid).
  if (c == '\r') {
    state_ = State::cr;
  } else {
    if (c == '\n') problems_ |= kBareNewline;  // a bare LF never starts a new line
    emit(ch);
  }
}

std::size_t DataDecoder::feed(std::string_view in) {
  std::size_t i = 0;
  while (i < in.size() && !done_) {
    if (state_ == State::mid) {
      // Fast path: a run of ordinary octets.
      std::size_t j = i;
      std::size_t room = line_length_ < kMaxTextLine ? kMaxTextLine - line_length_ : 0;
      while (j < in.size() && j - i < room) {
        unsigned char c = static_cast<unsigned char>(in[j]);
        if (c == '\r' || c == '\n' || c == 0 || c >= 0x80) break;
        ++j;
      }
      if (j > i) {
        line_length_ += j - i;
        emit_run(in.substr(i, j - i));
        i = j;
        continue;
      }
    }
    step(in[i++]);
  }
  return i;
}

void DataDecoder::finish() {
  if (state_ == State::cr) {
    problems_ |= kBareNewline;
    emit('\r');
    state_ = State::mid;
  }
  if (size_ > 0 && !(data_.size() >= 2 && data_.ends_with("\r\n")) && !(problems_ & kTooBig)) {
    emit('\r');
    emit('\n');
  }
  done_ = true;
}

}  // namespace herald::smtp
