//! The pipe protocol between the parent and a child: length-prefixed frames, each a tag byte and
//! a payload (postcard bytes of the user's values, or UTF-8 text).
//!
//! Parent → child (the child's stdin): `Run` (the task's name and its input), `Cancel`.
//! Child → parent (the child's stdout): the greeting, once, then per task any number of
//! `Message`s and one final frame (`Returned`, `Error`, `Panicked` or `Unknown`).

use std::io::{self, BufRead, Read, Write};

/// What a child writes once, when it is ready. The parent skips whatever comes before it (a test
/// harness that re-executes itself prints its own lines first).
pub(crate) const GREETING: &[u8] = b"\x00traits-futures process child v1\n";

/// The most bytes the parent skips looking for the greeting before it gives up on the child.
const GREETING_SEARCH_LIMIT: usize = 1 << 16;

/// The largest frame either side accepts: a length past it means the stream is garbled.
const MAX_FRAME: u32 = 1 << 30;

/// Frame tags, parent → child.
pub(crate) const RUN: u8 = 1;
pub(crate) const CANCEL: u8 = 2;

/// Frame tags, child → parent.
pub(crate) const MESSAGE: u8 = 10;
pub(crate) const RETURNED: u8 = 11;
pub(crate) const ERROR: u8 = 12;
pub(crate) const PANICKED: u8 = 13;
pub(crate) const UNKNOWN: u8 = 14;

/// Writes one frame (and flushes it: the other side waits for it).
pub(crate) fn write_frame(out: &mut impl Write, tag: u8, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len() + 1)
        .ok()
        .filter(|&len| len <= MAX_FRAME)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(&[tag])?;
    out.write_all(payload)?;
    out.flush()
}

/// Appends one frame to `out` (unflushed: the child's output buffer).
pub(crate) fn push_frame(out: &mut Vec<u8>, tag: u8, payload: &[u8]) {
    let len = u32::try_from(payload.len() + 1)
        .ok()
        .filter(|&len| len <= MAX_FRAME)
        .expect("a frame of at most 1 GiB");
    out.extend_from_slice(&len.to_le_bytes());
    out.push(tag);
    out.extend_from_slice(payload);
}

/// Reads one frame: `Ok(None)` at a clean end of the stream (between frames).
pub(crate) fn read_frame(input: &mut impl Read) -> io::Result<Option<(u8, Vec<u8>)>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len[..1]) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    input.read_exact(&mut len[1..])?;
    let len = u32::from_le_bytes(len);
    if len == 0 || len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "a frame of {len} bytes: the stream is garbled (did the task print to stdout?)"
            ),
        ));
    }
    let mut tag = [0u8];
    input.read_exact(&mut tag)?;
    let mut payload = vec![0u8; len as usize - 1];
    input.read_exact(&mut payload)?;
    Ok(Some((tag[0], payload)))
}

/// Skips the child's output up to and including the greeting: `Ok(false)` if the stream ended
/// (or went on too long) without one.
pub(crate) fn await_greeting(input: &mut impl BufRead) -> io::Result<bool> {
    let mut seen: Vec<u8> = Vec::with_capacity(GREETING.len());
    let mut skipped = 0usize;
    loop {
        let mut byte = [0u8];
        match input.read_exact(&mut byte) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(e),
        }
        seen.push(byte[0]);
        if seen.len() > GREETING.len() {
            seen.remove(0);
        }
        if seen == GREETING {
            return Ok(true);
        }
        skipped += 1;
        if skipped > GREETING_SEARCH_LIMIT {
            return Ok(false);
        }
    }
}

/// A `Run` frame's payload: the name's length, the name, the input.
pub(crate) fn run_payload(name: &str, input: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(4 + name.len() + input.len());
    payload.extend_from_slice(&(name.len() as u32).to_le_bytes());
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(input);
    payload
}

/// Splits a `Run` payload into the name and the input.
pub(crate) fn split_run(payload: &[u8]) -> Option<(&str, &[u8])> {
    let len = u32::from_le_bytes(payload.get(..4)?.try_into().ok()?) as usize;
    let name = std::str::from_utf8(payload.get(4..4 + len)?).ok()?;
    Some((name, &payload[4 + len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_end_cleanly() {
        let mut bytes = Vec::new();
        write_frame(&mut bytes, MESSAGE, b"abc").unwrap();
        write_frame(&mut bytes, RETURNED, b"").unwrap();
        let mut input = &bytes[..];
        assert_eq!(
            read_frame(&mut input).unwrap(),
            Some((MESSAGE, b"abc".to_vec()))
        );
        assert_eq!(
            read_frame(&mut input).unwrap(),
            Some((RETURNED, Vec::new()))
        );
        assert_eq!(read_frame(&mut input).unwrap(), None);
    }

    #[test]
    fn the_greeting_is_found_after_other_output() {
        let mut bytes = b"running 1 test\n".to_vec();
        bytes.extend_from_slice(GREETING);
        bytes.extend_from_slice(b"rest");
        let mut input = &bytes[..];
        assert!(await_greeting(&mut input).unwrap());
        assert_eq!(input, b"rest");
        assert!(!await_greeting(&mut &b"no greeting"[..]).unwrap());
    }

    #[test]
    fn a_run_payload_splits_into_name_and_input() {
        let payload = run_payload("square", &[7, 0]);
        assert_eq!(split_run(&payload), Some(("square", &[7u8, 0][..])));
        assert_eq!(split_run(&[9, 0, 0, 0, b'x']), None);
    }
}
