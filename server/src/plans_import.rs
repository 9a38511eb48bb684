//! ImportApiKeys: API keys and their usage plans from AWS's CSV format
//! (`Name,Key,Description,Enabled,UsagePlanIds`; header names in any case
//! and order, `Name` and `Key` required). A key whose value was imported
//! before is updated, as AWS does. Every row is checked before anything is
//! written; then all keys land in one transaction and one key-table update.

use std::collections::HashMap;

use apigw_app::error::AppError;
use apigw_app::rules;

use crate::auth::internal;
use crate::gateway::access::key_hash;
use crate::plans::{Plans, MAX_API_KEYS};
use crate::store::apis::new_id;
use crate::store::key_import::ImportKey;

/// What ImportApiKeys answers.
#[derive(Debug, serde::Serialize)]
pub struct ImportedKeys {
    pub ids: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Most rows one import takes (the gateway's key limit).
const MAX_ROWS: usize = MAX_API_KEYS as usize;

fn row_error(n: usize, msg: impl std::fmt::Display) -> AppError {
    AppError::invalid("body", format!("Row {n}: {msg}"))
}

impl Plans {
    pub async fn import_keys(&self, text: &str, fail_on_warnings: bool) -> Result<ImportedKeys, AppError> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| AppError::invalid("body", format!("The CSV header row could not be read: {e}")))?
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(name_at), Some(key_at)) = (col("name"), col("key")) else {
            return Err(AppError::invalid(
                "body",
                "The CSV header row must name the columns Name and Key (in any case and order), e.g. Name,Key,Description,Enabled,UsagePlanIds.",
            ));
        };
        let (desc_at, enabled_at, plans_at) = (col("description"), col("enabled"), col("usageplanids"));

        let known_plans: HashMap<String, Vec<(String, String)>> = self
            .plans(None)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p.api_stages.iter().map(|s| (s.api_id.clone(), s.stage.clone())).collect()))
            .collect();
        let mut warnings = Vec::new();
        let mut keys: Vec<ImportKey> = Vec::new();
        let mut by_value: HashMap<[u8; 32], usize> = HashMap::new();
        for (i, record) in reader.records().enumerate() {
            let n = i + 2; // the header is row 1
            let record = record.map_err(|e| row_error(n, format!("not valid CSV: {e}")))?;
            if record.iter().all(str::is_empty) {
                continue;
            }
            if keys.len() >= MAX_ROWS {
                return Err(AppError::invalid("body", format!("An import takes at most {MAX_ROWS} keys.")));
            }
            let field = |at: Option<usize>| at.and_then(|a| record.get(a)).unwrap_or("").to_string();
            let name = field(Some(name_at));
            if name.is_empty() {
                return Err(row_error(n, "Name is empty; every key needs a name."));
            }
            let name = rules::api_key_name(&name).map_err(|e| row_error(n, e))?;
            let value = field(Some(key_at));
            rules::api_key_value(&value).map_err(|e| row_error(n, e))?;
            let description = rules::api_description(&field(desc_at)).map_err(|e| row_error(n, e))?;
            let enabled = match field(enabled_at).to_ascii_lowercase().as_str() {
                "" | "true" => true,
                "false" => false,
                other => return Err(row_error(n, format!("Enabled must be TRUE or FALSE; '{other}' is not."))),
            };
            let mut plans: Vec<String> = Vec::new();
            for p in field(plans_at).split(',').map(|p| p.trim().trim_matches('\'')).filter(|p| !p.is_empty()) {
                if !known_plans.contains_key(p) {
                    warnings.push(format!("Row {n}: usage plan {p} does not exist; the key was imported without it."));
                } else if let Some(other) = plans.iter().find(|q| known_plans[q.as_str()].iter().any(|st| known_plans[p].contains(st))) {
                    warnings.push(format!(
                        "Row {n}: usage plans {other} and {p} cover the same API stage, and a key may reach a stage through one plan only; the key was imported without {p}."
                    ));
                } else if !plans.iter().any(|q| q == p) {
                    plans.push(p.to_string());
                }
            }
            let hash = key_hash(&value);
            let existing = self.store.api_key_by_hash(&hash).await.map_err(internal)?;
            let key = ImportKey {
                id: existing.clone().unwrap_or_else(new_id),
                existing: existing.is_some(),
                name,
                description,
                enabled,
                hash,
                plans,
            };
            // The same value twice in one file: the later row wins, as a re-import would.
            match by_value.get(&hash) {
                Some(&at) => {
                    warnings.push(format!("Row {n}: this key value is also on an earlier row; this row replaces it."));
                    let id = keys[at].id.clone();
                    keys[at] = ImportKey { id, ..key };
                }
                None => {
                    by_value.insert(hash, keys.len());
                    keys.push(key);
                }
            }
        }
        if keys.is_empty() {
            return Err(AppError::invalid("body", "The CSV has a header row but no keys."));
        }
        // A key already in a plan must not reach a stage through a second one.
        for k in keys.iter_mut().filter(|k| k.existing) {
            let mut kept = Vec::new();
            for p in std::mem::take(&mut k.plans) {
                let clashes = self.store.stage_key_clashes(&p, std::slice::from_ref(&k.id), &known_plans[&p]).await.map_err(internal)?;
                match clashes.first() {
                    Some((other, other_name, ..)) => warnings.push(format!(
                        "Key {}: it already reaches a stage of usage plan {p} through plan {other_name} ({other}); it was not added to {p}.",
                        k.id
                    )),
                    None => kept.push(p),
                }
            }
            k.plans = kept;
        }
        if fail_on_warnings && !warnings.is_empty() {
            return Err(AppError::invalid(
                "failonwarnings",
                format!("Warnings found during import:\n\t{}\nNothing was imported (failonwarnings=true).", warnings.join("\n\t")),
            ));
        }
        let new = keys.iter().filter(|k| !k.existing).count() as i64;
        let have = self.store.count_api_keys().await.map_err(internal)?;
        if have + new > MAX_API_KEYS {
            return Err(AppError::invalid(
                "body",
                format!("This import would give the gateway {} API keys; it may hold at most {MAX_API_KEYS}.", have + new),
            ));
        }
        self.store.import_api_keys(&keys).await.map_err(internal)?;
        self.reload().await?;
        tracing::info!(keys = keys.len(), new, "API keys imported");
        Ok(ImportedKeys { ids: keys.into_iter().map(|k| k.id).collect(), warnings })
    }
}
