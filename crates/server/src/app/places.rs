//! Places where people meet in person: kept by a community's organizers, or
//! by a space operator for their own space, and shown to each viewer with
//! only what they may see of a home's address (core's `whereabouts`).

use super::{App, AppError, AppResult};
use cowork_core::permissions::Action;
use cowork_core::places::{whereabouts, PlaceInput, Viewer, Whereabouts};
use cowork_store::{Account, Place, PlaceOwner};

/// A place as one viewer may see it.
pub struct PlaceView {
    pub place: Place,
    pub whereabouts: Whereabouts,
    /// The viewer keeps this place (a community's organizer, or the operator).
    pub may_edit: bool,
}

impl PlaceView {
    fn new(place: Place, insider: bool) -> PlaceView {
        let p = &place.details;
        let viewer = if insider { Viewer::Insider } else { Viewer::Outsider };
        let whereabouts = whereabouts(p.kind, &p.address, &p.area, &p.city, p.country, p.coordinates, viewer);
        PlaceView { place, whereabouts, may_edit: insider }
    }
}

impl App {
    /// Adds a place to a community; its organizers keep them.
    pub async fn add_community_place(&self, me: &Account, slug: &str, input: &PlaceInput) -> AppResult<PlaceView> {
        let community = self.community_for(me, slug, Action::Schedule).await?;
        let draft = input.parse(self.now())?;
        let place = self.store.create_place(&PlaceOwner::Community(community.community.id), &draft, self.now()).await?;
        Ok(PlaceView::new(place, true))
    }

    /// Adds a place of one's own (a space operator's space).
    pub async fn add_own_place(&self, me: &Account, input: &PlaceInput) -> AppResult<PlaceView> {
        let draft = input.parse(self.now())?;
        let place = self.store.create_place(&PlaceOwner::Account(me.id.clone()), &draft, self.now()).await?;
        Ok(PlaceView::new(place, true))
    }

    /// A community's places, for whoever may see the community.
    pub async fn community_places(&self, viewer: Option<&Account>, slug: &str) -> AppResult<Vec<PlaceView>> {
        let community = self.community(viewer, slug).await?;
        let insider = community.may(Action::Schedule);
        let places = self.store.places_of(&PlaceOwner::Community(community.community.id)).await?;
        Ok(places.into_iter().map(|p| PlaceView::new(p, insider)).collect())
    }

    /// One place, as `viewer` may see it.
    pub async fn place_view(&self, viewer: Option<&Account>, id: &str) -> AppResult<PlaceView> {
        let place = self.store.place(id).await?;
        let insider = match &place.owner {
            PlaceOwner::Community(c) => {
                // Seen by whoever may see its community (a private one's places stay private).
                let slug = self.store.community_by_id(c).await?.slug;
                self.community(viewer, &slug).await?.may(Action::Schedule)
            }
            PlaceOwner::Account(a) => viewer.is_some_and(|v| v.id == *a),
        };
        Ok(PlaceView::new(place, insider))
    }

    /// Changes a place, for the people who keep it.
    pub async fn edit_place(&self, me: &Account, id: &str, input: &PlaceInput) -> AppResult<PlaceView> {
        if !self.place_view(Some(me), id).await?.may_edit {
            return Err(AppError::Forbidden("Only the people who keep this place change it.".into()));
        }
        let draft = input.parse(self.now())?;
        Ok(PlaceView::new(self.store.update_place(id, &draft, self.now()).await?, true))
    }
}
