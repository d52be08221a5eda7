//! league
