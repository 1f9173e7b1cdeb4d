//! One module per Pod Security check. (Filled in by the PSS engine work.)
