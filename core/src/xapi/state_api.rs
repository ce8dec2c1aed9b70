//! The xAPI State API (filled in below).
