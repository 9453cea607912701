//! Server functions of the model price table (admins). (Being built: issue 4.)
