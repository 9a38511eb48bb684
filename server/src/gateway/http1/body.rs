//! Message bodies on the wire: the decoder that finds where a body ends
//! (by length, by chunks, or at the close) and the chunk encoder. The one
//! place either side of the gateway reads or writes body framing.

use std::fmt::Write as _;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::header::Framing;

/// Longest chunk-size line (with extensions) or trailer line accepted.
pub const MAX_LINE: usize = 4096;
/// Most bytes of trailer fields accepted after the last chunk.
pub const MAX_TRAILERS: usize = 16 * 1024;

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Malformed chunked framing (the server answers 400).
    Malformed(&'static str),
    /// The peer closed before the body's end.
    Incomplete,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Malformed(why) => write!(f, "malformed chunked body: {why}"),
            BodyError::Incomplete => f.write_str("the connection closed before the body's end"),
        }
    }
}

impl std::error::Error for BodyError {}

/// What one step of decoding found.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Body bytes.
    Data(Bytes),
    /// More input is needed.
    More,
    /// The body is complete; every byte after it in the buffer belongs to the next message.
    End,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Length(u64),
    /// Waiting for a chunk-size line.
    Size,
    /// Inside a chunk: this many data bytes left.
    Data(u64),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// Trailer lines after the last chunk, this many bytes read so far.
    Trailers(usize),
    UntilClose,
    Done,
}

/// Reads one body's bytes out of a connection buffer, taking exactly the
/// body and leaving whatever follows it.
#[derive(Debug)]
pub struct Decoder {
    state: State,
}

impl Decoder {
    pub fn new(framing: Framing) -> Self {
        let state = match framing {
            Framing::Empty | Framing::Length(0) => State::Done,
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::Size,
            Framing::UntilClose => State::UntilClose,
        };
        Decoder { state }
    }

    /// Whether the whole body has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Bytes still to come, when the framing says so.
    pub fn remaining(&self) -> Option<u64> {
        match self.state {
            State::Length(n) => Some(n),
            State::Done => Some(0),
            _ => None,
        }
    }

    /// Takes the next piece of body out of `buf`.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Decoded, BodyError> {
        loop {
            match self.state {
                State::Done => return Ok(Decoded::End),
                State::Length(n) => {
                    if buf.is_empty() {
                        return Ok(Decoded::More);
                    }
                    let take = (buf.len() as u64).min(n) as usize;
                    self.state = if take as u64 == n { State::Done } else { State::Length(n - take as u64) };
                    return Ok(Decoded::Data(buf.split_to(take).freeze()));
                }
                State::UntilClose => {
                    if buf.is_empty() {
                        return Ok(Decoded::More);
                    }
                    return Ok(Decoded::Data(buf.split().freeze()));
                }
                State::Size => {
                    let Some(line) = take_line(buf)? else { return Ok(Decoded::More) };
                    let size = chunk_size(&line)?;
                    self.state = if size == 0 { State::Trailers(0) } else { State::Data(size) };
                }
                State::Data(n) => {
                    if buf.is_empty() {
                        return Ok(Decoded::More);
                    }
                    let take = (buf.len() as u64).min(n) as usize;
                    self.state = if take as u64 == n { State::DataEnd } else { State::Data(n - take as u64) };
                    return Ok(Decoded::Data(buf.split_to(take).freeze()));
                }
                State::DataEnd => {
                    if buf.len() < 2 {
                        return Ok(Decoded::More);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(BodyError::Malformed("no CRLF after the chunk data"));
                    }
                    buf.advance(2);
                    self.state = State::Size;
                }
                State::Trailers(seen) => {
                    let Some(line) = take_line(buf)? else { return Ok(Decoded::More) };
                    if line.is_empty() {
                        self.state = State::Done;
                        return Ok(Decoded::End);
                    }
                    let seen = seen + line.len() + 2;
                    if seen > MAX_TRAILERS {
                        return Err(BodyError::Malformed("trailer fields too large"));
                    }
                    if !line.contains(&b':') {
                        return Err(BodyError::Malformed("malformed trailer field"));
                    }
                    self.state = State::Trailers(seen);
                }
            }
        }
    }

    /// The peer closed the connection: fine only for a body read until the close.
    pub fn eof(&mut self) -> Result<(), BodyError> {
        match self.state {
            State::UntilClose | State::Done => {
                self.state = State::Done;
                Ok(())
            }
            _ => Err(BodyError::Incomplete),
        }
    }
}

/// A CRLF-terminated line off the front of `buf`, without its CRLF.
/// A bare LF, or a CR not followed by LF, is malformed (no guessing at
/// where a line ends: that guess is how request smuggling works).
fn take_line(buf: &mut BytesMut) -> Result<Option<BytesMut>, BodyError> {
    let limit = buf.len().min(MAX_LINE + 2);
    match buf[..limit].iter().position(|&b| b == b'\n') {
        Some(i) => {
            if i == 0 || buf[i - 1] != b'\r' {
                return Err(BodyError::Malformed("a line not ended by CRLF"));
            }
            let mut line = buf.split_to(i + 1);
            line.truncate(i - 1);
            if line.contains(&b'\r') {
                return Err(BodyError::Malformed("a bare CR in a line"));
            }
            Ok(Some(line))
        }
        None if buf.len() > MAX_LINE => Err(BodyError::Malformed("line too long")),
        None => Ok(None),
    }
}

/// The size in a chunk-size line: hex digits, then optional `;extensions`.
fn chunk_size(line: &[u8]) -> Result<u64, BodyError> {
    let digits_end = line.iter().position(|b| !b.is_ascii_hexdigit()).unwrap_or(line.len());
    let (digits, rest) = line.split_at(digits_end);
    if digits.is_empty() {
        return Err(BodyError::Malformed("no chunk size"));
    }
    if digits.len() > 15 {
        return Err(BodyError::Malformed("chunk size too large"));
    }
    // Extensions are allowed and ignored; anything else after the digits is
    // not. Only SP and HTAB may come before them (BWS): not form feed, which
    // `trim_ascii_start` would also take.
    let rest = &rest[rest.iter().take_while(|&&b| b == b' ' || b == b'\t').count()..];
    if !rest.is_empty() && rest[0] != b';' {
        return Err(BodyError::Malformed("invalid chunk size"));
    }
    let mut n = 0u64;
    for &d in digits {
        n = n * 16 + u64::from((d as char).to_digit(16).expect("checked hex digit"));
    }
    Ok(n)
}

/// `data` as one chunk of a chunked body.
pub fn put_chunk(out: &mut BytesMut, data: &[u8]) {
    if data.is_empty() {
        // An empty chunk would end the body.
        return;
    }
    // Writing to a BytesMut cannot fail.
    let _ = write!(out, "{:x}\r\n", data.len());
    out.put_slice(data);
    out.put_slice(b"\r\n");
}

/// The last chunk of a chunked body (no trailers).
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes all of `input` fed in pieces of `step` bytes: the body, and what is left after it.
    pub(crate) fn decode_all(framing: Framing, input: &[u8], step: usize) -> Result<(Vec<u8>, Vec<u8>), BodyError> {
        let mut d = Decoder::new(framing);
        let mut buf = BytesMut::new();
        let mut body = Vec::new();
        let mut fed = 0;
        loop {
            match d.decode(&mut buf)? {
                Decoded::Data(b) => body.extend_from_slice(&b),
                Decoded::End => {
                    let mut rest = buf.to_vec();
                    rest.extend_from_slice(&input[fed..]);
                    return Ok((body, rest));
                }
                Decoded::More => {
                    if fed == input.len() {
                        d.eof()?;
                        return Ok((body, Vec::new()));
                    }
                    let n = step.min(input.len() - fed);
                    buf.extend_from_slice(&input[fed..fed + n]);
                    fed += n;
                }
            }
        }
    }

    #[test]
    fn lengths_take_exactly_their_bytes() {
        for step in [1, 3, 100] {
            assert_eq!(decode_all(Framing::Length(5), b"hello GET", step).unwrap(), (b"hello".to_vec(), b" GET".to_vec()));
        }
        assert_eq!(decode_all(Framing::Length(5), b"hel", 2), Err(BodyError::Incomplete));
        assert_eq!(decode_all(Framing::Empty, b"GET", 2).unwrap(), (vec![], b"GET".to_vec()));
    }

    #[test]
    fn chunks_with_extensions_and_trailers() {
        let input = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-t: 1\r\n\r\nNEXT";
        for step in [1, 2, 7, 1000] {
            assert_eq!(decode_all(Framing::Chunked, input, step).unwrap(), (b"hello world".to_vec(), b"NEXT".to_vec()), "step {step}");
        }
        assert_eq!(decode_all(Framing::Chunked, b"A\r\n0123456789\r\n0\r\n\r\n", 4).unwrap().0, b"0123456789");
    }

    #[test]
    fn malformed_chunks_are_refused() {
        for input in [
            &b"x\r\n"[..],
            b"-1\r\n",
            b"5\nhello\r\n0\r\n\r\n",
            b"5\r\nhelloXX0\r\n\r\n",
            b"ffffffffffffffff\r\n",
            b"5 x\r\nhello\r\n",
            b"0\r\nbad trailer\r\n\r\n",
            b"5\rx\r\nhello\r\n",
            b"5\x0c\r\nhello\r\n0\r\n\r\n",
        ] {
            assert!(matches!(decode_all(Framing::Chunked, input, 3), Err(BodyError::Malformed(_))), "{:?}", String::from_utf8_lossy(input));
        }
        let long = format!("1;{}\r\n", "e".repeat(MAX_LINE + 10));
        assert!(matches!(decode_all(Framing::Chunked, long.as_bytes(), 1000), Err(BodyError::Malformed(_))));
        assert_eq!(decode_all(Framing::Chunked, b"5\r\nhel", 2), Err(BodyError::Incomplete));
    }

    #[test]
    fn until_close_takes_everything() {
        assert_eq!(decode_all(Framing::UntilClose, b"all of it", 4).unwrap().0, b"all of it");
    }

    #[test]
    fn chunks_encode_and_decode_back() {
        let mut out = BytesMut::new();
        put_chunk(&mut out, b"hello");
        put_chunk(&mut out, b"");
        put_chunk(&mut out, &[b'x'; 300]);
        out.extend_from_slice(LAST_CHUNK);
        let mut want = b"hello".to_vec();
        want.extend_from_slice(&[b'x'; 300]);
        assert_eq!(decode_all(Framing::Chunked, &out, 5).unwrap(), (want, vec![]));
    }
}
