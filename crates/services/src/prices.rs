//! The model price table admins edit; ingestion prices spans with it. (Being built: issue 4.)
