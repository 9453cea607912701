//! Server functions of the trace explorer. (Being built: issue 4.)
