//! Catalogs of objects HeliosDB does not have (foreign data wrappers, event triggers,
//! subscriptions, large objects, user-defined operators and casts, ...): their
//! PostgreSQL columns and no rows, so that clients that list every kind of object
//! (pg_dump, DBeaver, pgAdmin) find nothing rather than an error. Types follow the
//! rest of `pg_catalog`: `oid` and `regproc` as `bigint`, `name` and `"char"` as
//! `text`, `aclitem[]` as `text[]`.

use helios_types::DataType::{self, Bool, Int2, Int4, Int8, Text};

use super::pg_catalog::Relation;

fn text_array() -> DataType {
    DataType::Array(Box::new(Text))
}

/// The columns of the empty catalog `name`, if it is one.
pub(super) fn empty_catalog(name: &str) -> Option<Relation> {
    let columns: Vec<(&'static str, DataType)> = match name {
        "pg_operator" => vec![
            ("oid", Int8),
            ("oprname", Text),
            ("oprnamespace", Int8),
            ("oprowner", Int8),
            ("oprkind", Text),
            ("oprcanmerge", Bool),
            ("oprcanhash", Bool),
            ("oprleft", Int8),
            ("oprright", Int8),
            ("oprresult", Int8),
            ("oprcom", Int8),
            ("oprnegate", Int8),
            ("oprcode", Int8),
            ("oprrest", Int8),
            ("oprjoin", Int8),
        ],
        "pg_opfamily" => vec![
            ("oid", Int8),
            ("opfmethod", Int8),
            ("opfname", Text),
            ("opfnamespace", Int8),
            ("opfowner", Int8),
        ],
        "pg_amop" => vec![
            ("oid", Int8),
            ("amopfamily", Int8),
            ("amoplefttype", Int8),
            ("amoprighttype", Int8),
            ("amopstrategy", Int2),
            ("amoppurpose", Text),
            ("amopopr", Int8),
            ("amopmethod", Int8),
            ("amopsortfamily", Int8),
        ],
        "pg_amproc" => vec![
            ("oid", Int8),
            ("amprocfamily", Int8),
            ("amproclefttype", Int8),
            ("amprocrighttype", Int8),
            ("amprocnum", Int2),
            ("amproc", Int8),
        ],
        "pg_ts_parser" => vec![
            ("oid", Int8),
            ("prsname", Text),
            ("prsnamespace", Int8),
            ("prsstart", Int8),
            ("prstoken", Int8),
            ("prsend", Int8),
            ("prsheadline", Int8),
            ("prslextype", Int8),
        ],
        "pg_ts_template" => vec![
            ("oid", Int8),
            ("tmplname", Text),
            ("tmplnamespace", Int8),
            ("tmplinit", Int8),
            ("tmpllexize", Int8),
        ],
        "pg_ts_dict" => vec![
            ("oid", Int8),
            ("dictname", Text),
            ("dictnamespace", Int8),
            ("dictowner", Int8),
            ("dicttemplate", Int8),
            ("dictinitoption", Text),
        ],
        "pg_ts_config" => vec![
            ("oid", Int8),
            ("cfgname", Text),
            ("cfgnamespace", Int8),
            ("cfgowner", Int8),
            ("cfgparser", Int8),
        ],
        "pg_foreign_data_wrapper" => vec![
            ("oid", Int8),
            ("fdwname", Text),
            ("fdwowner", Int8),
            ("fdwhandler", Int8),
            ("fdwvalidator", Int8),
            ("fdwacl", text_array()),
            ("fdwoptions", text_array()),
        ],
        "pg_foreign_server" => vec![
            ("oid", Int8),
            ("srvname", Text),
            ("srvowner", Int8),
            ("srvfdw", Int8),
            ("srvtype", Text),
            ("srvversion", Text),
            ("srvacl", text_array()),
            ("srvoptions", text_array()),
        ],
        "pg_foreign_table" => {
            vec![("ftrelid", Int8), ("ftserver", Int8), ("ftoptions", text_array())]
        }
        "pg_user_mapping" => {
            vec![("oid", Int8), ("umuser", Int8), ("umserver", Int8), ("umoptions", text_array())]
        }
        "pg_default_acl" => vec![
            ("oid", Int8),
            ("defaclrole", Int8),
            ("defaclnamespace", Int8),
            ("defaclobjtype", Text),
            ("defaclacl", text_array()),
        ],
        "pg_conversion" => vec![
            ("oid", Int8),
            ("conname", Text),
            ("connamespace", Int8),
            ("conowner", Int8),
            ("conforencoding", Int4),
            ("contoencoding", Int4),
            ("conproc", Int8),
            ("condefault", Bool),
        ],
        "pg_cast" => vec![
            ("oid", Int8),
            ("castsource", Int8),
            ("casttarget", Int8),
            ("castfunc", Int8),
            ("castcontext", Text),
            ("castmethod", Text),
        ],
        "pg_transform" => vec![
            ("oid", Int8),
            ("trftype", Int8),
            ("trflang", Int8),
            ("trffromsql", Int8),
            ("trftosql", Int8),
        ],
        "pg_event_trigger" => vec![
            ("oid", Int8),
            ("evtname", Text),
            ("evtevent", Text),
            ("evtowner", Int8),
            ("evtfoid", Int8),
            ("evtenabled", Text),
            ("evttags", text_array()),
        ],
        "pg_subscription" => vec![
            ("oid", Int8),
            ("subdbid", Int8),
            ("subskiplsn", Text),
            ("subname", Text),
            ("subowner", Int8),
            ("subenabled", Bool),
            ("subbinary", Bool),
            ("substream", Bool),
            ("subtwophasestate", Text),
            ("subdisableonerr", Bool),
            ("subconninfo", Text),
            ("subslotname", Text),
            ("subsynccommit", Text),
            ("subpublications", text_array()),
        ],
        "pg_largeobject_metadata" => {
            vec![("oid", Int8), ("lomowner", Int8), ("lomacl", text_array())]
        }
        "pg_init_privs" => vec![
            ("objoid", Int8),
            ("classoid", Int8),
            ("objsubid", Int4),
            ("privtype", Text),
            ("initprivs", text_array()),
        ],
        "pg_seclabel" => vec![
            ("objoid", Int8),
            ("classoid", Int8),
            ("objsubid", Int4),
            ("provider", Text),
            ("label", Text),
        ],
        "pg_seclabels" => vec![
            ("objoid", Int8),
            ("classoid", Int8),
            ("objsubid", Int4),
            ("objtype", Text),
            ("objnamespace", Int8),
            ("objname", Text),
            ("provider", Text),
            ("label", Text),
        ],
        "pg_shseclabel" => {
            vec![("objoid", Int8), ("classoid", Int8), ("provider", Text), ("label", Text)]
        }
        _ => return None,
    };
    Some((columns, Vec::new()))
}
