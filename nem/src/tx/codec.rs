//! Little-endian primitives of the NIS1 binary format, with strict bounds and byte offsets.

use thiserror::Error;

use crate::address::AddressError;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field} at byte {offset}: {kind}")]
pub struct DecodeError {
    pub offset: usize,
    pub field: &'static str,
    pub kind: DecodeErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeErrorKind {
    #[error("truncated: needs {needed} more bytes, {available} left")]
    Truncated { needed: usize, available: usize },
    #[error("{0} unexpected trailing bytes after the transaction")]
    TrailingBytes(usize),
    #[error("unknown transaction type 0x{0:04x}")]
    UnknownType(u32),
    #[error("version {version} is not valid for {kind} (valid: {valid})")]
    InvalidVersion {
        kind: &'static str,
        version: u32,
        valid: &'static str,
    },
    #[error("unknown network byte 0x{0:02x} (mainnet 0x68, testnet 0x98, mijin 0x60)")]
    UnknownNetwork(u8),
    #[error("length {found}, expected {expected}")]
    BadLength { expected: String, found: u32 },
    #[error("not in canonical form: {0}")]
    NonCanonical(String),
    #[error("invalid address: {0}")]
    Address(AddressError),
    #[error("{0}")]
    Invalid(String),
}

pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Reads stop here: the end of the data, or of the nested object being read.
    end: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            pos: 0,
            end: data.len(),
        }
    }

    pub fn offset(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.end - self.pos
    }

    pub fn error(&self, offset: usize, field: &'static str, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            offset,
            field,
            kind,
        }
    }

    pub fn bytes(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(self.error(
                self.pos,
                field,
                DecodeErrorKind::Truncated {
                    needed: n,
                    available: self.remaining(),
                },
            ));
        }
        let slice = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N, field)?);
        Ok(out)
    }

    pub fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        self.array::<4>(field).map(u32::from_le_bytes)
    }

    pub fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        self.array::<8>(field).map(u64::from_le_bytes)
    }

    /// A u64 that NIS reads into a non-negative Java `long`.
    pub fn long(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        let at = self.pos;
        let value = self.u64(field)?;
        if value > i64::MAX as u64 {
            return Err(self.error(
                at,
                field,
                DecodeErrorKind::Invalid(format!("{value} is negative as a Java long")),
            ));
        }
        Ok(value)
    }

    /// A u32 that must equal `expected` (fixed-size length prefixes).
    pub fn expect_u32(&mut self, expected: u32, field: &'static str) -> Result<(), DecodeError> {
        let at = self.pos;
        let found = self.u32(field)?;
        if found != expected {
            return Err(self.error(
                at,
                field,
                DecodeErrorKind::BadLength {
                    expected: expected.to_string(),
                    found,
                },
            ));
        }
        Ok(())
    }

    /// A u32 length, then that many bytes.
    pub fn sized(&mut self, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let at = self.pos;
        let len = self.u32(field)?;
        if len as usize > self.remaining() {
            return Err(self.error(
                at,
                field,
                DecodeErrorKind::Truncated {
                    needed: len as usize,
                    available: self.remaining(),
                },
            ));
        }
        self.bytes(len as usize, field)
    }

    /// A length-prefixed UTF-8 string.
    pub fn string(&mut self, field: &'static str) -> Result<&'a str, DecodeError> {
        let at = self.pos;
        let bytes = self.sized(field)?;
        std::str::from_utf8(bytes).map_err(|_| {
            self.error(
                at,
                field,
                DecodeErrorKind::Invalid("not valid UTF-8".into()),
            )
        })
    }

    /// A string NIS may write as null (length 0xFFFFFFFF).
    pub fn optional_string(&mut self, field: &'static str) -> Result<Option<&'a str>, DecodeError> {
        let at = self.pos;
        if self.remaining() >= 4 && self.data[at..at + 4] == [0xFF; 4] {
            self.pos += 4;
            return Ok(None);
        }
        self.string(field).map(Some)
    }

    /// Runs `f` over a nested object of `len` bytes and requires it to consume exactly that.
    pub fn nested<T>(
        &mut self,
        len_at: usize,
        len: u32,
        field: &'static str,
        f: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let start = self.pos;
        if len as usize > self.remaining() {
            return Err(self.error(
                len_at,
                field,
                DecodeErrorKind::Truncated {
                    needed: len as usize,
                    available: self.remaining(),
                },
            ));
        }
        let outer_end = self.end;
        self.end = start + len as usize;
        let value = f(self);
        self.end = outer_end;
        let value = value?;
        let used = self.pos - start;
        if used != len as usize {
            return Err(self.error(
                len_at,
                field,
                DecodeErrorKind::BadLength {
                    expected: format!("{used} (the size of its content)"),
                    found: len,
                },
            ));
        }
        Ok(value)
    }

    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.remaining() > 0 {
            return Err(self.error(
                self.pos,
                "end",
                DecodeErrorKind::TrailingBytes(self.remaining()),
            ));
        }
        Ok(())
    }
}

#[derive(Default)]
pub(crate) struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// A u32 length, then the bytes. Lengths are bounded by the callers' validation.
    pub fn sized(&mut self, bytes: &[u8]) {
        self.u32(bytes.len() as u32);
        self.raw(bytes);
    }

    /// A string, or NIS's null (length 0xFFFFFFFF).
    pub fn optional_string(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.sized(s.as_bytes()),
            None => self.u32(u32::MAX),
        }
    }

    /// Writes a nested object: a u32 length placeholder, the content, then the real length.
    pub fn nested(&mut self, f: impl FnOnce(&mut Self)) {
        let at = self.buf.len();
        self.u32(0);
        f(self);
        let len = (self.buf.len() - at - 4) as u32;
        self.buf[at..at + 4].copy_from_slice(&len.to_le_bytes());
    }
}
