//! The IKEv2 exchanges, one file each, as `impl Endpoint` blocks: IKE_SA_INIT (`init`),
//! IKE_AUTH (`auth`), CREATE_CHILD_SA (`child`) and INFORMATIONAL (`info`).

pub(crate) mod auth;
pub(crate) mod child;
pub(crate) mod info;
pub(crate) mod init;
