//! The live room of a session (issue 4): rules only, no I/O. The server
//! owns each room's timer; clients show what `Timer::at` says.

pub mod timer;
