//! Writing HTTP/1.1 heads: pieces gathered straight into the connection's
//! buffer, numbers in decimal, and the Date header.
//! Every head the gateway writes (to a caller or to a backend) goes through
//! `Gather`.

use bytes::BytesMut;

/// Small writes gathered straight into a buffer's spare room, its length
/// set once when dropped. A head is some forty pieces of a few bytes each;
/// appending each to the buffer was a call, a capacity check and a
/// `memcpy` apiece, and gathering them on the stack first cost a 512-byte
/// clear and a copy of the whole head.
pub(crate) struct Gather<'o> {
    out: &'o mut BytesMut,
    /// Bytes written past `out.len()`, not yet counted in it.
    len: usize,
}

/// Room made at the start, enough for a usual head.
const ROOM: usize = 512;

impl<'o> Gather<'o> {
    pub(crate) fn new(out: &'o mut BytesMut) -> Self {
        out.reserve(ROOM);
        Gather { out, len: 0 }
    }

    #[inline(always)]
    #[allow(unsafe_code)] // a copy into spare room; `commit` counts it
    pub(crate) fn put(&mut self, bytes: &[u8]) {
        match self.out.spare_capacity_mut().get_mut(self.len..self.len + bytes.len()) {
            Some(room) => {
                // SAFETY: `room` is `bytes.len()` bytes of the buffer's spare
                // capacity, and `bytes` cannot overlap it (we hold `out` mutably).
                unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), room.as_mut_ptr().cast::<u8>(), bytes.len()) };
                self.len += bytes.len();
            }
            None => self.spill(bytes),
        }
    }

    /// Counts what is written, makes room for `bytes` and more, and puts them.
    #[cold]
    fn spill(&mut self, bytes: &[u8]) {
        self.make_room(bytes.len());
        self.put(bytes);
    }

    /// Counts what is written and makes room for `n` bytes and more.
    #[cold]
    fn make_room(&mut self, n: usize) {
        self.commit();
        self.out.reserve(n + ROOM);
    }

    /// Adds the bytes written so far to the buffer's length.
    #[allow(unsafe_code)] // `BytesMut::set_len`, over bytes `put` wrote
    fn commit(&mut self) {
        // SAFETY: `put` initialised exactly the `len` bytes after `out.len()`,
        // within its capacity.
        unsafe { self.out.set_len(self.out.len() + self.len) };
        self.len = 0;
    }

    /// `name: value\r\n`. Inlined, so that the name and the separators,
    /// whose lengths are known, are copied without a call to `memcpy`.
    #[inline(always)]
    pub(crate) fn field(&mut self, name: &[u8], value: &[u8]) {
        self.put(name);
        self.put(b": ");
        self.put(value);
        self.put(b"\r\n");
    }

    /// `name: n\r\n`, `n` in decimal: one check for room, and the digits
    /// written in place rather than formatted aside and copied (a keyed
    /// answer carries eight numbers).
    #[inline(always)]
    #[allow(unsafe_code)] // writes into spare room; `commit` counts it
    pub(crate) fn number(&mut self, name: &[u8], n: u64) {
        let digits = decimal_len(n);
        let total = name.len() + 2 + digits + 2;
        if self.out.capacity() - self.out.len() < self.len + total {
            self.make_room(total);
        }
        // SAFETY: the `total` bytes from `at` are the buffer's spare capacity
        // (checked just above), past what `put` wrote, and only written here.
        unsafe {
            let at = self.out.as_mut_ptr().add(self.out.len() + self.len);
            std::ptr::copy_nonoverlapping(name.as_ptr(), at, name.len());
            let at = at.add(name.len());
            at.cast::<[u8; 2]>().write_unaligned(*b": ");
            let end = at.add(2 + digits);
            write_decimal(n, end);
            end.cast::<[u8; 2]>().write_unaligned(*b"\r\n");
        }
        self.len += total;
    }

    /// `date: <HTTP date of at_us>\r\n`.
    pub(crate) fn date(&mut self, at_us: i64) {
        with_date(at_us, |d| self.field(b"date", d));
    }

    /// The status line, `HTTP/1.1 200 OK\r\n`.
    pub(crate) fn status(&mut self, status: http::StatusCode) {
        self.put(b"HTTP/1.1 ");
        self.put(status.as_str().as_bytes());
        self.put(b" ");
        self.put(status.canonical_reason().unwrap_or("Unknown").as_bytes());
        self.put(b"\r\n");
    }
}

impl Drop for Gather<'_> {
    fn drop(&mut self) {
        self.commit();
    }
}

/// `n` in decimal, in `digits`.
#[allow(unsafe_code)] // `write_decimal` into the array
pub(crate) fn itoa(n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let len = decimal_len(n);
    // SAFETY: the `len` (at most 20) bytes before the array's end are the array's.
    unsafe { write_decimal(n, digits.as_mut_ptr().add(digits.len())) };
    &digits[digits.len() - len..]
}

/// How many digits `n` has in decimal.
#[inline(always)]
fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

/// Writes `n` in decimal, two digits at a time, into the `decimal_len(n)`
/// bytes before `end`.
///
/// # Safety
/// Those bytes must be valid for writes.
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn write_decimal(mut n: u64, mut end: *mut u8) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    // SAFETY (all three blocks): each write stays within the `decimal_len(n)`
    // bytes before the caller's `end`, one or two digits per step, and
    // `PAIRS` is read below offset 200.
    while n >= 100 {
        let p = (n % 100) as usize * 2;
        n /= 100;
        unsafe {
            end = end.sub(2);
            std::ptr::copy_nonoverlapping(PAIRS.as_ptr().add(p), end, 2);
        }
    }
    if n >= 10 {
        unsafe { std::ptr::copy_nonoverlapping(PAIRS.as_ptr().add(n as usize * 2), end.sub(2), 2) };
    } else {
        unsafe { end.sub(1).write(b'0' + n as u8) };
    }
}

/// Calls `f` with the HTTP date of `at_us` (µs since the epoch), formatted
/// once a second per thread.
pub(crate) fn with_date<R>(at_us: i64, f: impl FnOnce(&[u8]) -> R) -> R {
    thread_local! {
        static DATE: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((u64::MAX, String::new())) };
    }
    let secs = u64::try_from(at_us.div_euclid(1_000_000)).unwrap_or(0);
    DATE.with(|d| {
        let mut d = d.borrow_mut();
        if d.0 != secs {
            *d = (secs, httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)));
        }
        f(d.1.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 0, every power of ten and its neighbours, the largest, and a spread.
    fn numbers() -> Vec<u64> {
        let mut n = 1u64;
        let mut cases = vec![0, u64::MAX, u64::MAX - 1];
        while let Some(m) = n.checked_mul(10) {
            cases.extend([n - 1, n, n + 1]);
            n = m;
        }
        cases.extend((0..1000).map(|i| i * 7919));
        cases
    }

    #[test]
    fn numbers_in_decimal() {
        for n in numbers() {
            assert_eq!(itoa(n, &mut [0; 20]), n.to_string().as_bytes(), "{n}");
        }
    }

    #[test]
    fn number_fields_are_written_in_place_and_the_buffer_grows_for_them() {
        // Some 30 KB of fields after a piece that leaves the room nearly full,
        // so that many of them find too little room and make more.
        let mut out = BytesMut::new();
        {
            let mut g = Gather::new(&mut out);
            g.put(&[b'x'; ROOM - 5]);
            for (i, n) in numbers().into_iter().enumerate() {
                g.number(if i % 2 == 0 { b"content-length" } else { b"x-quota-remaining" }, n);
            }
        }
        let mut want = "x".repeat(ROOM - 5);
        for (i, n) in numbers().into_iter().enumerate() {
            want += &format!("{}: {n}\r\n", if i % 2 == 0 { "content-length" } else { "x-quota-remaining" });
        }
        assert_eq!(std::str::from_utf8(&out).unwrap(), want);
    }

    #[test]
    fn dates_are_formatted_once_a_second_and_follow_the_clock() {
        let now = crate::metrics::now_us();
        let text = with_date(now, |d| String::from_utf8(d.to_vec()).unwrap());
        let when = httpdate::parse_http_date(&text).unwrap();
        let skew = std::time::SystemTime::now().duration_since(when).unwrap();
        assert!(skew.as_secs() <= 1, "{text}");
        // A given time, and the next second after it (formatted anew, not the cached text).
        for (at_us, text) in
            [(784_111_777_000_000, "Sun, 06 Nov 1994 08:49:37 GMT"), (784_111_778_999_999, "Sun, 06 Nov 1994 08:49:38 GMT")]
        {
            let mut out = BytesMut::new();
            Gather::new(&mut out).date(at_us);
            assert_eq!(std::str::from_utf8(&out).unwrap(), format!("date: {text}\r\n"));
        }
    }

    #[test]
    fn gathered_pieces_arrive_in_order_whatever_their_size() {
        let pieces: Vec<Vec<u8>> = [1usize, 7, 300, 200, 13, 511, 512, 513, 2000, 5, 0, 64]
            .iter()
            .enumerate()
            .map(|(i, &n)| (0..n).map(|j| b'a' + ((i + j) % 26) as u8).collect())
            .collect();
        let mut out = BytesMut::from(&b"before:"[..]);
        {
            let mut g = Gather::new(&mut out);
            for p in &pieces {
                g.put(p);
            }
            g.status(http::StatusCode::IM_A_TEAPOT);
            g.number(b"content-length", 1234);
        }
        let mut want = b"before:".to_vec();
        pieces.iter().for_each(|p| want.extend_from_slice(p));
        want.extend_from_slice(b"HTTP/1.1 418 I'm a teapot\r\ncontent-length: 1234\r\n");
        assert_eq!(&out[..], &want[..]);
    }
}
