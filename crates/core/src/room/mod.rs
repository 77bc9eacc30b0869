//! The live room of a session (issue 4): rules only, no I/O. The server
//! owns each room's timer; clients show what `Timer::at` says.

pub mod chat;
pub mod goals;
pub mod notes;
pub mod presence;
pub mod tables;
pub mod timer;
