//! The live set of compiled stages. Requests read it without locks
//! (`ArcSwap`); a deploy, rollback or stage change rebuilds that API's
//! stages off the hot path and swaps a new map in. Requests already running
//! keep the snapshot they started with.

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::captured::Captured;
use super::limits::BucketPool;
use super::snapshot::{compile, CompiledStage};
use crate::store::{Store, StoreError};
use crate::FastMap;

pub(super) type StageMap = FastMap<String, FastMap<String, Arc<CompiledStage>>>;

pub struct Registry {
    stages: ArcSwap<StageMap>,
    store: Store,
    /// Stage throttle buckets, kept across redeploys while their limits stay.
    pub pool: Arc<BucketPool>,
    /// Serialises rebuilds so two concurrent changes cannot lose each other.
    /// Held only on the control path, never by a request.
    rebuild: tokio::sync::Mutex<()>,
}

impl Registry {
    /// Loads and compiles every stage in the database.
    pub async fn load(store: Store, pool: Arc<BucketPool>) -> Result<Arc<Self>, StoreError> {
        let reg = Arc::new(Self { stages: ArcSwap::from_pointee(FastMap::default()), store, pool, rebuild: Default::default() });
        let mut apis: Vec<String> = reg.store.all_stage_keys().await?.into_iter().map(|(api, _)| api).collect();
        apis.dedup();
        for api in apis {
            reg.reload_api(&api).await?;
        }
        Ok(reg)
    }

    /// Every compiled stage, by API id and stage name, to look one up
    /// without cloning its reference count (a count the gateway threads
    /// would share). Lock-free; hold it only briefly.
    pub(super) fn stages(&self) -> arc_swap::Guard<Arc<StageMap>> {
        self.stages.load()
    }

    /// The compiled stage, if deployed. Lock-free.
    pub fn get(&self, api_id: &str, stage: &str) -> Option<Arc<CompiledStage>> {
        self.stages.load().get(api_id)?.get(stage).cloned()
    }

    /// Recompiles every stage of one API from the database and swaps them in
    /// (an API with no stages, or deleted, is removed).
    pub async fn reload_api(&self, api_id: &str) -> Result<(), StoreError> {
        let _guard = self.rebuild.lock().await;
        let stages = match self.store.list_stages(api_id).await {
            Ok(s) => s,
            Err(StoreError::NotFound) => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut compiled = FastMap::default();
        for st in stages {
            let snapshot = self.store.deployment_snapshot(api_id, &st.deployment_id).await?;
            let deployed = match Captured::parse(&snapshot) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(api_id, deployment = %st.deployment_id, error = %e, "unreadable deployment snapshot");
                    Captured::default()
                }
            };
            let c = compile(api_id, &st.stage_name, &st.deployment_id, &deployed, &st.variables, &st.method_settings, &self.pool);
            compiled.insert(st.stage_name.clone(), Arc::new(c));
        }
        let mut next: StageMap = (**self.stages.load()).clone();
        if compiled.is_empty() {
            next.remove(api_id);
        } else {
            next.insert(api_id.to_string(), compiled);
        }
        self.stages.store(Arc::new(next));
        tracing::debug!(api_id, "gateway stages reloaded");
        Ok(())
    }
}
