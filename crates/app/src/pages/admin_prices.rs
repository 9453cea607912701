//! The model price table page (admins). (Being built: issue 4.)
