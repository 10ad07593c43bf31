//! Shared test helpers (filled below).
