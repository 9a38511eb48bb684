//! The method request part of a method's settings: which request validator
//! checks it, the model its JSON body must match, the query strings and
//! headers it declares (and which are required), and, for HTTP backends,
//! what the integration request sends from them (parameter mappings).

use leptos::prelude::*;

use crate::components::ErrorLine;
use crate::rules;

/// Where a declared parameter is read from, as AWS names the places.
const PLACES: [(&str, &str); 5] = [
    ("querystring", "Query string"),
    ("header", "Header"),
    ("path", "Path"),
    ("multivaluequerystring", "Query string (all values)"),
    ("multivalueheader", "Header (all values)"),
];

/// Rows being edited, each with a stable id for `<For>`: one row list for
/// both the declared parameters and the mappings.
#[derive(Clone, Copy)]
pub struct Rows<T: Copy + Send + Sync + 'static> {
    rows: RwSignal<Vec<(usize, T)>>,
    next: StoredValue<usize>,
}

impl<T: Copy + Send + Sync + 'static> Rows<T> {
    fn from_items(items: Vec<T>) -> Self {
        let rows: Vec<(usize, T)> = items.into_iter().enumerate().collect();
        Self { next: StoredValue::new(rows.len()), rows: RwSignal::new(rows) }
    }

    fn add(&self, item: T) {
        let i = self.next.get_value();
        self.next.set_value(i + 1);
        self.rows.update(|r| r.push((i, item)));
    }

    fn remove(&self, id: usize) {
        self.rows.update(|r| r.retain(|(i, _)| *i != id));
    }
}

/// Declared request parameters being edited: (place, name, required) rows.
pub type ParamRows = Rows<(RwSignal<String>, RwSignal<String>, RwSignal<bool>)>;

impl ParamRows {
    /// From `method.request.{place}.{name}` → required.
    pub fn new(initial: &[(String, bool)]) -> Self {
        Self::from_items(
            initial
                .iter()
                .map(|(key, required)| {
                    let rest = key.strip_prefix("method.request.").unwrap_or(key);
                    let (place, name) = rest.split_once('.').unwrap_or(("querystring", rest));
                    (RwSignal::new(place.to_string()), RwSignal::new(name.to_string()), RwSignal::new(*required))
                })
                .collect(),
        )
    }

    /// The named rows as (`method.request.{place}.{name}`, required), in order.
    pub fn pairs(&self) -> Vec<(String, bool)> {
        self.rows
            .get()
            .iter()
            .filter(|(_, (_, n, _))| !n.get().trim().is_empty())
            .map(|(_, (p, n, r))| (format!("method.request.{}.{}", p.get(), n.get().trim()), r.get()))
            .collect()
    }

    fn add_empty(&self) {
        self.add((RwSignal::new("querystring".into()), RwSignal::new(String::new()), RwSignal::new(false)));
    }
}

/// Parameter mappings being edited: (target, source) rows.
pub type MappingRows = Rows<(RwSignal<String>, RwSignal<String>)>;

impl MappingRows {
    pub fn new(initial: &[(String, String)]) -> Self {
        Self::from_items(initial.iter().map(|(t, s)| (RwSignal::new(t.clone()), RwSignal::new(s.clone()))).collect())
    }

    /// The rows with a target or a source, trimmed, in order (a half-filled
    /// row is kept so the server can say what it lacks).
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.rows
            .get()
            .iter()
            .map(|(_, (t, s))| (t.get().trim().to_string(), s.get().trim().to_string()))
            .filter(|(t, s)| !t.is_empty() || !s.is_empty())
            .collect()
    }

    fn add_empty(&self) {
        self.add((RwSignal::new(String::new()), RwSignal::new(String::new())));
    }
}

/// The first declared parameter that breaks the naming rule, in its words.
pub fn params_error(params: &[(String, bool)]) -> Option<String> {
    params.iter().find_map(|(k, _)| rules::method_request_parameter(k).err()).map(|e| e.to_string())
}

/// The method request section. `errors` are the server's answers for
/// (validator, model, parameters, mappings).
#[component]
pub fn MethodRequest(
    validator: RwSignal<String>,
    model: RwSignal<String>,
    params: ParamRows,
    mappings: MappingRows,
    /// The API's validators as (id, name) and its model names.
    validators: Vec<(String, String)>,
    models: Vec<String>,
    /// Mappings apply to HTTP backends only (not to a mock).
    #[prop(into)]
    show_mappings: Signal<bool>,
    api: String,
    #[prop(into)] errors: Signal<[Option<String>; 4]>,
) -> impl IntoView {
    let err = move |i: usize| Signal::derive(move || errors.get()[i].clone());
    let params_local = move || params_error(&params.pairs());
    let no_validators = validators.is_empty();
    let models_href = format!("/apis/{api}/models");
    view! {
        <section class="mapping" id="method-request" aria-labelledby="method-request-title">
            <h3 id="method-request-title">"Method request"</h3>
            <div class="two-col">
                <div>
                    <label for="request-validator">"Request validator"</label>
                    <select id="request-validator" prop:value=move || validator.get() on:change=move |ev| validator.set(event_target_value(&ev))>
                        <option value="">"None: nothing is checked"</option>
                        {validators.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                    </select>
                    {no_validators.then(|| view! {
                        <p class="hint">"This API has no validators yet: " <a href=models_href.clone()>"create one"</a>"."</p>
                    })}
                    <ErrorLine message=err(0) />
                </div>
                <div>
                    <label for="request-model">"Request body model " <span class="muted">"(application/json)"</span></label>
                    <select id="request-model" prop:value=move || model.get() on:change=move |ev| model.set(event_target_value(&ev))>
                        <option value="">"None"</option>
                        {models.into_iter().map(|m| view! { <option value=m.clone()>{m.clone()}</option> }).collect_view()}
                    </select>
                    <p class="hint">"Checked when the validator checks bodies."</p>
                    <ErrorLine message=err(1) />
                </div>
            </div>
            <label>"Request parameters"</label>
            <p class="hint">"Query strings and headers the method reads; a required one missing is answered 400 when the validator checks parameters. Mappings below can only read declared ones."</p>
            <div class="throttle-rows" id="request-params">
                <For each=move || params.rows.get() key=|r| r.0 let:row>
                    <div class="response-row param-row">
                        <select aria-label="Where the parameter is" prop:value=move || row.1.0.get() on:change=move |ev| row.1.0.set(event_target_value(&ev))>
                            {PLACES.iter().map(|(v, label)| view! { <option value=*v>{*label}</option> }).collect_view()}
                        </select>
                        <input type="text" class="mono" aria-label="Parameter name" placeholder="page"
                            prop:value=move || row.1.1.get() on:input=move |ev| row.1.1.set(event_target_value(&ev)) />
                        <label class="check">
                            <input type="checkbox" prop:checked=move || row.1.2.get() on:change=move |ev| row.1.2.set(event_target_checked(&ev)) />
                            " Required"
                        </label>
                        <button type="button" class="btn btn-small btn-ghost" aria-label="Remove this parameter"
                            on:click=move |_| params.remove(row.0)>"✕"</button>
                    </div>
                </For>
            </div>
            <button type="button" class="btn btn-small" id="add-request-param" on:click=move |_| params.add_empty()>"Add parameter"</button>
            <ErrorLine message=Signal::derive(move || params_local().or_else(|| err(2).get())) />
            <Show when=move || show_mappings.get()>
                <label>"Parameter mappings"</label>
                <p class="hint">
                    "What the backend request gets, and from where: a target "
                    <code>"integration.request.header.X-User"</code>", "<code>"integration.request.querystring.q"</code>" or "
                    <code>"integration.request.path.id"</code>"; a source "<code>"method.request.querystring.user"</code>", "
                    <code>"method.request.header.Authorization"</code>", "<code>"context.requestId"</code>", "
                    <code>"stageVariables.name"</code>" or "<code>"'static text'"</code>"."
                </p>
                <div class="throttle-rows" id="parameter-mappings">
                    <For each=move || mappings.rows.get() key=|r| r.0 let:row>
                        <div class="response-row mapping-row">
                            <input type="text" class="mono" aria-label="Mapping target" placeholder="integration.request.header.X-User"
                                prop:value=move || row.1.0.get() on:input=move |ev| row.1.0.set(event_target_value(&ev)) />
                            <span class="muted" aria-hidden="true">"←"</span>
                            <input type="text" class="mono" aria-label="Mapping source" placeholder="method.request.querystring.user"
                                prop:value=move || row.1.1.get() on:input=move |ev| row.1.1.set(event_target_value(&ev)) />
                            <button type="button" class="btn btn-small btn-ghost" aria-label="Remove this mapping"
                                on:click=move |_| mappings.remove(row.0)>"✕"</button>
                        </div>
                    </For>
                </div>
                <button type="button" class="btn btn-small" id="add-mapping" on:click=move |_| mappings.add_empty()>"Add mapping"</button>
                <ErrorLine message=err(3) />
            </Show>
        </section>
    }
    .into_any()
}
